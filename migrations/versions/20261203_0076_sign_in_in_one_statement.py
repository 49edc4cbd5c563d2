"""The sign-in in one statement (PostgreSQL): `seddel_sign_in` checks a session token's hash,
notes the session's last use when it is due, returns the user, the session and every
membership the Actor is built from, and scopes the transaction to the actor's tenants.

It runs as the caller (SECURITY INVOKER): the application role reads through its own
row-level security, exactly as the statements it replaces did (membership rows through the
"own rows" policies, groups and children once the tenants are set), so the function gives
that role nothing it could not already read. It saves round trips, not privileges.

Revision ID: 0076
Revises: 0075
Create Date: 2026-12-03 13:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0076"
down_revision: str | None = "0075"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rules are those of app.accounts.service.auth.session_is_live and
# app.institutions.service.actor.load_actor; tests/institutions/test_sign_in_statement.py holds
# both paths to the same Actor for every kind of actor.
SIGN_IN = """
CREATE FUNCTION seddel_sign_in(p_token_hash text, p_now timestamptz, p_touch_after interval)
RETURNS TABLE (
  user_id uuid, user_name text, email text, phone text, language text,
  session_id uuid, session_kind text, session_device_id uuid, touched boolean,
  membership_kinds text[], membership_institution_ids uuid[], membership_ref_ids uuid[],
  membership_custody boolean[], membership_access text[],
  detail_kinds text[], detail_ids uuid[], detail_group_ids uuid[],
  device_found boolean, device_id uuid, device_institution_id uuid, device_role text,
  tenants uuid[]
)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
#variable_conflict use_column
DECLARE
  s record;
  u record;
  dev_id uuid;
  dev_institution uuid;
  dev_role text;
  m_kinds text[]; m_insts uuid[]; m_refs uuid[]; m_custody boolean[]; m_access text[];
  d_kinds text[]; d_ids uuid[]; d_groups uuid[];
  member_of uuid[];
  scope uuid[];
  found_device boolean := false;
  did_touch boolean := false;
BEGIN
  SELECT x.id, x.user_id, x.kind, x.device_id, x.last_used_at, x.expires_at,
         x.idle_timeout_seconds, x.revoked_at
    INTO s FROM sessions x WHERE x.token_hash = p_token_hash;
  IF NOT FOUND OR s.revoked_at IS NOT NULL OR s.expires_at <= p_now
     OR s.last_used_at + make_interval(secs => s.idle_timeout_seconds) <= p_now THEN
    RETURN;
  END IF;
  SELECT x.id, x.name, x.email, x.phone, x.preferred_language
    INTO u FROM users x WHERE x.id = s.user_id AND x.is_active;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  -- The last use, at most once per p_touch_after; a concurrent request of the same session
  -- that is touching it already is not waited for.
  IF p_now - s.last_used_at > p_touch_after THEN
    UPDATE sessions SET last_used_at = p_now
     WHERE sessions.id = (SELECT x.id FROM sessions x
                           WHERE x.id = s.id AND x.last_used_at = s.last_used_at
                           FOR UPDATE SKIP LOCKED);
    did_touch := FOUND;
  END IF;

  -- The user's own membership rows (the "own rows" policies), before any tenant is known.
  PERFORM set_config('seddel.user_id', u.id::text, true);
  PERFORM set_config('seddel.institution_ids', '', true);
  SELECT array_agg(m.kind), array_agg(m.institution_id), array_agg(m.ref_id),
         array_agg(m.custody), array_agg(m.access)
    INTO m_kinds, m_insts, m_refs, m_custody, m_access
    FROM (
      SELECT 'admin' AS kind, a.institution_id, NULL::uuid AS ref_id,
             NULL::boolean AS custody, NULL::text AS access
        FROM admin_memberships a WHERE a.user_id = u.id AND a.is_active
      UNION ALL
      SELECT 'staff', st.institution_id, st.id, NULL, NULL
        FROM staff_memberships st WHERE st.user_id = u.id AND st.is_active
      UNION ALL
      SELECT 'guardian', g.institution_id, g.child_id, g.has_custody, g.access
        FROM guardian_links g WHERE g.user_id = u.id AND g.access <> 'none'
      UNION ALL
      SELECT 'municipality', NULL, ma.municipality_id, NULL, NULL
        FROM municipality_admins ma WHERE ma.user_id = u.id
    ) m;

  -- Groups staffed, children's groups and municipality institutions, in the tenants the
  -- memberships name.
  member_of := ARRAY(SELECT DISTINCT i FROM unnest(m_insts) i WHERE i IS NOT NULL);
  PERFORM set_config('seddel.institution_ids', array_to_string(member_of, ','), true);
  SELECT array_agg(d.kind), array_agg(d.id), array_agg(d.group_id)
    INTO d_kinds, d_ids, d_groups
    FROM (
      SELECT 'group' AS kind, sg.group_id AS id, NULL::uuid AS group_id
        FROM staff_groups sg
       WHERE sg.staff_id = ANY (ARRAY(SELECT r FROM unnest(m_kinds, m_refs) t(k, r)
                                       WHERE k = 'staff'))
      UNION ALL
      SELECT 'child', c.id, c.group_id
        FROM children c
       WHERE c.id = ANY (ARRAY(SELECT r FROM unnest(m_kinds, m_refs) t(k, r)
                                WHERE k = 'guardian'))
      UNION ALL
      SELECT 'institution', i.id, NULL
        FROM institutions i
       WHERE i.municipality_id = ANY (ARRAY(SELECT r FROM unnest(m_kinds, m_refs) t(k, r)
                                             WHERE k = 'municipality'))
    ) d;

  IF s.device_id IS NOT NULL THEN
    SELECT x.id, x.institution_id, x.role INTO dev_id, dev_institution, dev_role
      FROM devices x WHERE x.id = s.device_id AND x.revoked_at IS NULL;
    found_device := FOUND;
  END IF;

  -- The actor's tenants (app.core.actor.Actor.tenant_ids): a session of a device that is
  -- gone has none; a paired device itself only its institution; anyone else every
  -- institution they belong to, with their municipalities' institutions.
  IF s.device_id IS NOT NULL AND NOT found_device THEN
    scope := '{}';
  ELSIF s.kind = 'device' THEN
    scope := CASE WHEN found_device THEN ARRAY[dev_institution] ELSE '{}'::uuid[] END;
  ELSE
    scope := ARRAY(
      SELECT DISTINCT i FROM (
        SELECT unnest(member_of) AS i
        UNION ALL
        SELECT r FROM unnest(d_kinds, d_ids) t(k, r) WHERE k = 'institution'
      ) x WHERE i IS NOT NULL);
  END IF;
  PERFORM set_config('seddel.institution_ids', array_to_string(scope, ','), true);

  RETURN QUERY SELECT
    u.id, u.name::text, u.email::text, u.phone::text, u.preferred_language::text,
    s.id, s.kind::text, s.device_id, did_touch,
    coalesce(m_kinds, '{}'), coalesce(m_insts, '{}'), coalesce(m_refs, '{}'),
    coalesce(m_custody, '{}'), coalesce(m_access, '{}'),
    coalesce(d_kinds, '{}'), coalesce(d_ids, '{}'), coalesce(d_groups, '{}'),
    found_device, dev_id, dev_institution, dev_role, scope;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SIGN_IN)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS seddel_sign_in(text, timestamptz, interval)")
