DELETE FROM role_permissions WHERE permission = 'orgunits.read';
UPDATE oauth_clients
SET scope = 'users:*:* orgunits:*:* enrollment:*:* role:*:* groups:*:* sections:*:*'
WHERE scope = 'users:*:* orgunits:*:* enrollment:*:* role:*:* groups:*:* sections:*:* organizations:*:*'
  AND client_id IN (SELECT client_id FROM vles);
