"""Validating a filled-in unified form against its matter's JSON Schema (draft 2020-12)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from pydantic import BaseModel, ConfigDict

from contracts.catalog.identifiers import (
    InvalidIdentifier,
    check_credit_code,
    check_mobile,
    check_resident_id,
)
from contracts.values import MAX_SAFE_INTEGER, interoperable_number


def _on_strings(check: Callable[[str], None]) -> Callable[[object], bool]:
    def checker(instance: object) -> bool:
        if isinstance(instance, str):  # a format constrains strings only (JSON Schema 2020-12)
            check(instance)
        return True

    return checker


FORMAT_CHECKER = FormatChecker()
for _name, _check in {
    "cn-resident-id": check_resident_id,
    "cn-credit-code": check_credit_code,
    "cn-mobile": check_mobile,
}.items():
    FORMAT_CHECKER.checks(_name, raises=InvalidIdentifier)(_on_strings(_check))

_RULE_WORDS = {
    "required": "缺少必填项",
    "additionalProperties": "不允许的字段",
    "type": "类型不正确",
    "enum": "取值不在可选范围内",
    "const": "取值不正确",
    "minimum": "数值过小",
    "exclusiveMinimum": "数值过小",
    "maximum": "数值过大",
    "exclusiveMaximum": "数值过大",
    "minLength": "内容过短",
    "maxLength": "内容过长",
    "pattern": "格式不正确",
    "format": "格式不正确",
    "minItems": "数量不足",
    "maxItems": "数量过多",
    "uniqueItems": "存在重复项",
    "minProperties": "至少需要填写一项",
}


class FormError(BaseModel):
    """One reason a form is refused: the dotted path of the field, the schema rule, a message."""

    model_config = ConfigDict(frozen=True)

    field: str
    rule: str
    message: str


def _number(checker: Any, instance: object) -> bool:
    return _DEFAULT_TYPES.is_type(instance, "number") and interoperable_number(instance)


def _integer(checker: Any, instance: object) -> bool:
    return (
        _number(checker, instance)
        and _DEFAULT_TYPES.is_type(instance, "integer")
        and (
            abs(instance) <= MAX_SAFE_INTEGER  # type: ignore[arg-type]  # a number, checked above
        )
    )


# A form's number is one every reader holds exactly (contracts/values.py): not ±infinity,
# which a number like 1e400 parses to and would pass `exclusiveMinimum`, nor an integer past
# 2**53 - 1 (1e300 included, integral as JSON Schema counts); such a value fails `type`.
_DEFAULT_TYPES = Draft202012Validator.TYPE_CHECKER
FormValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    type_checker=_DEFAULT_TYPES.redefine_many({"number": _number, "integer": _integer}),
)


_validators: dict[int, tuple[Mapping[str, Any], Any]] = {}


def form_errors(schema: Mapping[str, Any], form: Mapping[str, Any]) -> list[FormError]:
    # A validator is built once per schema (the catalog's schemas live as long as the process;
    # the schema is kept beside it, so its id is never reused for another).
    kept = _validators.get(id(schema))
    if kept is None or kept[0] is not schema:
        kept = _validators[id(schema)] = (
            schema,
            FormValidator(schema, format_checker=FORMAT_CHECKER),
        )
    validator = kept[1]
    found = [e for error in validator.iter_errors(form) for e in _form_errors(error)]
    return sorted(found, key=lambda e: (e.field, e.rule))


def _form_errors(error: ValidationError) -> Iterator[FormError]:
    path = [str(part) for part in error.absolute_path]
    rule = str(error.validator)
    if isinstance(error.cause, InvalidIdentifier):
        message = str(error.cause)  # already bilingual
    else:
        english = str(error.cause) if error.cause else error.message
        message = f"{_RULE_WORDS.get(rule, '不符合要求')} / {english}"
    if rule == "required" and isinstance(error.instance, dict):
        required = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [n for n in required if n not in error.instance]
        names = [n for n in missing if error.message.startswith(repr(n))] or missing[:1]
        yield FormError(field=".".join([*path, *names]), rule=rule, message=message)
    elif rule == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        for extra in (name for name in error.instance if name not in known):
            yield FormError(field=".".join([*path, extra]), rule=rule, message=message)
    else:
        yield FormError(field=".".join(path), rule=rule, message=message)
