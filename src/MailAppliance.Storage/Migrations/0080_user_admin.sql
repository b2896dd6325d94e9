-- INTERFACE.md: an admin sees every domain in the console, /api and reports; anyone else only their own mail.
ALTER TABLE users ADD COLUMN admin boolean NOT NULL DEFAULT false;
