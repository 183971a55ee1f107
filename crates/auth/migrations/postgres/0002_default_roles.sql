-- The default roles. Roles are data: an admin may change their permissions or add roles; code
-- only ever asks whether a principal holds a named permission.
INSERT INTO roles (name, description, permissions) VALUES
 ('admin', 'Administers Custodian: principals, keys, policies, everything', '*'),
 ('agent', 'Customer care: looks people up and verifies callers', 'people.read people.search guard.verify guard.manage'),
 ('analyst', 'Breach work: inventory, incidents, impact, campaigns, audit', 'people.search inventory.read inventory.write incidents.read incidents.write notify.read notify.write audit.read scan.read scan.write'),
 ('service', 'Integrations: writes records, checks secrets', 'people.read people.write people.search guard.verify guard.manage');
