-- The role of the people who run the Trust Center: attestations and access requests, advisories
-- and incident notices, practices pages, subscribers and the disclosure programme. It reads no
-- customer data.
INSERT INTO roles (name, description, permissions) VALUES
 ('trust_editor', 'Trust Center: attestations, access requests, advisories, practices pages, disclosure reports', 'trust.read trust.write');
