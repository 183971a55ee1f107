-- The role notification campaigns run as: it plans and sends notices, so it reads the incident
-- and reveals the contact fields a notice is addressed with (the masking policy's `notifier`
-- role says which), each read with the campaign in the purpose. It holds nothing else.
INSERT INTO roles (name, description, permissions) VALUES
 ('notifier', 'Notification campaigns: plans and sends notices to the people an incident affected', 'notify.read notify.write incidents.read people.read');
