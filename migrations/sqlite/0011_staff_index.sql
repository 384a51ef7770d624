-- Staff are a handful among a million customers: the sign-in screen asks whether any
-- exist, and the admin's screens list them, without reading every customer.
CREATE INDEX users_staff ON users (id) WHERE kind = 'staff';
