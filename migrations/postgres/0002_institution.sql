-- The institution this database serves. The source procedure is for institutions that do
-- not offer email as a second factor, so email is not permitted by default.
INSERT INTO institutions (id, name) VALUES (1, 'Example Community Bank');
INSERT INTO institution_2fa_methods (institution_id, method) VALUES
    (1, 'sms'), (1, 'voice'), (1, 'authenticator_app'), (1, 'backup_codes');
