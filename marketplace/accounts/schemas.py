"""Request and response shapes for identity routes (marshmallow)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.accounts.models import OrgKind, Role

_EMAIL = [validate.Length(max=254), validate.Email()]


class StrictSchema(Schema):
    """Unknown fields are rejected (marshmallow's RAISE), strings are stripped of nothing."""


class RegisterIn(StrictSchema):
    email = fields.Str(required=True, validate=_EMAIL)
    display_name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    password = fields.Str(required=True, validate=validate.Length(min=10, max=1024))


class TokenIn(StrictSchema):
    email = fields.Str(required=True, validate=validate.Length(min=1, max=254))
    password = fields.Str(required=True, validate=validate.Length(min=1, max=1024))


class RefreshIn(StrictSchema):
    refresh_token = fields.Str(required=True, validate=validate.Length(min=1, max=200))


class OrganizationIn(StrictSchema):
    name = fields.Str(required=True, validate=validate.Length(min=2, max=200))
    kind = fields.Enum(OrgKind, required=True)
    credit_code = fields.Str(load_default=None, allow_none=True,
                             validate=validate.Regexp(r"^[0-9A-HJ-NPQRTUWXY]{18}$"))


class MemberIn(StrictSchema):
    email = fields.Str(required=True, validate=_EMAIL)
    role = fields.Enum(Role, required=True)


class ApiKeyIn(StrictSchema):
    org_id = fields.Str(required=True, validate=validate.Length(min=1, max=24))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    ttl_days = fields.Int(load_default=None, allow_none=True,
                          validate=validate.Range(min=1, max=3650), strict=True)


class UserOut(Schema):
    id = fields.Str()
    email = fields.Str()
    display_name = fields.Str()
    created_at = fields.DateTime(format="iso")


class MembershipOut(Schema):
    org_id = fields.Str()
    org_kind = fields.Enum(OrgKind)
    org_status = fields.Function(lambda m: m.org_status.value)
    role = fields.Enum(Role)
    is_owner = fields.Bool()


class MemberOut(Schema):
    id = fields.Str()
    user_id = fields.Str()
    org_id = fields.Str()
    role = fields.Enum(Role)
    is_owner = fields.Bool()
    created_at = fields.DateTime(format="iso")


class OrganizationOut(Schema):
    id = fields.Str()
    name = fields.Str()
    kind = fields.Enum(OrgKind)
    status = fields.Function(lambda o: o.status.value)
    credit_code = fields.Str(allow_none=True)
    created_at = fields.DateTime(format="iso")
    approved_at = fields.DateTime(format="iso", allow_none=True)


class ApiKeyOut(Schema):
    id = fields.Str()
    org_id = fields.Str()
    name = fields.Str()
    created_at = fields.DateTime(format="iso")
    expires_at = fields.DateTime(format="iso")
    revoked_at = fields.DateTime(format="iso", allow_none=True)
    last_used_at = fields.DateTime(format="iso", allow_none=True)
