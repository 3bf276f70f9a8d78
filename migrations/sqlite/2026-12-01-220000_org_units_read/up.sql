-- orgunits.read (the orgstructure routes) is held by every role that may read enrollments:
-- Administrator, Instructor, Teaching Assistant and the LMS Integration role, not Student.
-- New institutions get it from the default roles; existing ones get it here.
INSERT INTO role_permissions (role_id, permission)
SELECT role_id, 'orgunits.read' FROM role_permissions
WHERE permission = 'enrollments.read'
  AND role_id NOT IN (SELECT role_id FROM role_permissions WHERE permission = 'orgunits.read');
