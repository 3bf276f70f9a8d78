-- orgunits.read (the orgstructure routes) is held by every role that may read enrollments:
-- Administrator, Instructor, Teaching Assistant and the LMS Integration role, not Student.
-- New institutions get it from the default roles; existing ones get it here.
INSERT INTO role_permissions (role_id, permission)
SELECT role_id, 'orgunits.read' FROM role_permissions
WHERE permission = 'enrollments.read'
  AND role_id NOT IN (SELECT role_id FROM role_permissions WHERE permission = 'orgunits.read');

-- VLE clients (an LMS finding a course's sections and groups) take the orgstructure routes'
-- scope too: those registered with the default scope, which no operator has changed, gain it.
UPDATE oauth_clients
SET scope = 'users:*:* orgunits:*:* enrollment:*:* role:*:* groups:*:* sections:*:* organizations:*:*'
WHERE scope = 'users:*:* orgunits:*:* enrollment:*:* role:*:* groups:*:* sections:*:*'
  AND client_id IN (SELECT client_id FROM vles);
