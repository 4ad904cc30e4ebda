"""Request and response shapes for identity routes (marshmallow).

Inputs are strict: unknown fields are rejected (marshmallow's default RAISE), types are never
coerced, and text (:class:`marketplace.fields.Text`) may not carry control characters or lone
surrogates — PostgreSQL refuses NUL and UTF-8 cannot encode a surrogate, so either would
otherwise surface as a 500. Passwords may contain tab and newlines, nothing else unprintable.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.accounts.models import OrgKind, Role
from marketplace.accounts.passwords import weakness
from marketplace.fields import Text


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


def _name(low: int, high: int) -> Text:
    return Text(required=True, validate=[validate.Length(min=low, max=high), _not_blank])


_EMAIL = [validate.Length(max=254), validate.Email()]
_PASSWORD = validate.Length(min=10, max=1024)


class StrictSchema(Schema):
    """Unknown fields are rejected (marshmallow's RAISE); nothing is coerced or stripped."""


class RegisterIn(StrictSchema):
    email = Text(required=True, validate=_EMAIL)
    display_name = _name(1, 120)
    password = Text(required=True, multiline=True, validate=_PASSWORD)

    @validates_schema
    def _password_policy(self, data: dict[str, Any], **_kwargs: Any) -> None:
        reason = weakness(data["password"], data["email"])
        if reason:
            raise ValidationError({"password": [reason]})


class TokenIn(StrictSchema):
    email = Text(required=True, validate=validate.Length(min=1, max=254))
    password = Text(required=True, multiline=True,
                    validate=validate.Length(min=1, max=1024))


class RefreshIn(StrictSchema):
    refresh_token = Text(required=True, validate=validate.Length(min=1, max=200))


class OrganizationIn(StrictSchema):
    name = _name(2, 200)
    kind = fields.Enum(OrgKind, required=True)
    credit_code = Text(load_default=None, allow_none=True,
                       validate=validate.Regexp(r"^[0-9A-HJ-NPQRTUWXY]{18}\Z"))


class MemberIn(StrictSchema):
    email = Text(required=True, validate=_EMAIL)
    role = fields.Enum(Role, required=True)


class ApiKeyIn(StrictSchema):
    org_id = Text(required=True, validate=validate.Length(min=1, max=24))
    name = _name(1, 120)
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
