//! The institution and the second factors it permits. There is one institution; the
//! first by id is it.

pub const INSTITUTION: &str = "SELECT id, name FROM institutions ORDER BY id LIMIT 1";

pub const INSTITUTION_ID: &str = "SELECT id FROM institutions ORDER BY id LIMIT 1";

pub const PERMITTED_METHODS: &str = "SELECT method FROM institution_2fa_methods WHERE institution_id = $1";

/// With `PERMIT_METHOD`, in one transaction: the permitted set is replaced whole.
pub const FORBID_ALL_METHODS: &str = "DELETE FROM institution_2fa_methods WHERE institution_id = $1";

pub const PERMIT_METHOD: &str = "INSERT INTO institution_2fa_methods (institution_id, method) VALUES ($1, $2)";
