// The signed-in user, from GET /dashboard/session: name, effective roles and the anti-forgery token.

/** What a session's roles allow: can(session, 'operator'). The API's roles are effective (an admin has all three). */
export function can(session, role) {
  return Array.isArray(session?.roles) && session.roles.includes(role);
}
