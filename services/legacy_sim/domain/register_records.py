"""What each register of the data-sharing platform holds: its key and the fields of a record,
as the platform's wire protocol names them (docs/legacy-protocols.md). A data file's records
are validated against these models when the platform starts."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StringConstraints,
    model_validator,
)

from services.legacy_sim.domain.numbers import is_valid_credit_code, is_valid_resident_id

Text = Annotated[str, StringConstraints(min_length=1, max_length=500)]


def _amount(value: float) -> float:
    if not 0 <= value < math.inf:
        raise ValueError("must be a finite number, 0 or more")
    return value


# A JSON number as written (100 stays 100, 89.46 stays 89.46): the digest is taken of it.
Amount = Annotated[StrictInt | StrictFloat, AfterValidator(_amount)]
ResidentId = Annotated[str, StringConstraints(pattern=r"^[0-9]{17}[0-9X]$")]
Period = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(Record):
    name: Text
    gender: Literal["男", "女"]
    birth_date: date
    household_address: Text
    ethnicity: Text


class Company(Record):
    name: Text
    legal_representative: Text
    registered_capital: Amount = Field(description="万元")
    status: Literal["active", "deregistered", "revoked"]
    established: date
    address: Text
    business_scope: Text


class TaxFiling(Record):
    tax_status: Literal["normal", "abnormal"]
    last_period: Period
    arrears: Amount = Field(description="元")
    balance_sheet_total_assets: Amount = Field(description="元")


class Party(Record):
    name: Text
    id_number: ResidentId
    share: Amount = Field(description="per cent, the shares of one side adding up to 100")


class Encumbrance(Record):
    kind: Literal["抵押", "查封", "预告登记", "居住权"]
    holder: Text
    reference: Text
    registered_on: date


def _shares_add_up(parties: list[Party], role: str) -> None:
    if parties and sum(p.share for p in parties) != 100:
        raise ValueError(f"the shares of the {role} must add up to 100")


class Property(Record):
    owners: Annotated[list[Party], Field(min_length=1)]
    address: Text
    area: Amount = Field(description="m²")
    use: Text
    encumbrances: list[Encumbrance]

    @model_validator(mode="after")
    def _shares(self) -> Property:
        _shares_add_up(self.owners, "owners")
        return self


class HousingContract(Record):
    contract_number: Text
    sellers: Annotated[list[Party], Field(min_length=1)]
    buyers: Annotated[list[Party], Field(min_length=1)]
    price: Amount = Field(description="元")
    signed_on: date

    @model_validator(mode="after")
    def _shares(self) -> HousingContract:
        _shares_add_up(self.sellers, "sellers")
        _shares_add_up(self.buyers, "buyers")
        return self


class Marriage(Record):
    status: Literal["married", "single", "divorced", "widowed"]
    spouse_name: Text | None
    spouse_id_number: ResidentId | None
    registered_on: date | None = Field(description="of the registration behind the status")

    @model_validator(mode="after")
    def _spouse_iff_married(self) -> Marriage:
        married = self.status == "married"
        if married != (self.spouse_name is not None and self.spouse_id_number is not None):
            raise ValueError("spouse_name and spouse_id_number are given exactly when married")
        if (self.status == "single") != (self.registered_on is None):
            raise ValueError("registered_on is null exactly when single")
        return self


class BirthRecord(Record):
    child_name: Text
    birth_date: date
    birth_place: Text
    hospital: Text
    mother_name: Text
    father_name: Text


def _resident_id(key: str) -> str | None:
    return None if is_valid_resident_id(key) else "not a resident ID number with a valid check"


def _credit_code(key: str) -> str | None:
    return None if is_valid_credit_code(key) else "not a credit code with a valid check character"


_CERTIFICATE = re.compile(r"^[\u4e00-\u9fff]（[0-9]{4}）[\u4e00-\u9fff]+不动产权第[0-9]{7}号$")


def _certificate(key: str) -> str | None:
    if _CERTIFICATE.match(key):
        return None
    return "not a certificate number like 浙（2016）杭州市不动产权第0087654号"


def _contract_or_certificate(key: str) -> str | None:
    if re.fullmatch(r"[A-Z0-9]{6,30}", key):
        return None
    return _certificate(key)


def _person_agrees(key: str, record: Record) -> str | None:
    """A resident ID number carries its holder's birth date and (odd, even) gender."""
    assert isinstance(record, Person)
    if key[6:14] != f"{record.birth_date:%Y%m%d}":
        return "birth_date differs from the one in the resident ID number"
    if record.gender != ("男" if int(key[16]) % 2 else "女"):
        return "gender differs from the one in the resident ID number"
    return None


@dataclass(frozen=True)
class Dataset:
    key: str  # what the register is keyed by
    model: type[Record]
    check_key: Callable[[str], str | None]  # why a key is malformed, or None
    check_record: Callable[[str, Record], str | None] = lambda key, record: None

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.model.model_fields)


DATASETS: dict[str, Dataset] = {
    "population": Dataset(
        key="resident ID number",
        model=Person,
        check_key=_resident_id,
        check_record=_person_agrees,
    ),
    "business-registry": Dataset(
        key="unified social credit code", model=Company, check_key=_credit_code
    ),
    "tax-filings": Dataset(
        key="unified social credit code", model=TaxFiling, check_key=_credit_code
    ),
    "property-register": Dataset(key="certificate number", model=Property, check_key=_certificate),
    "housing-contracts": Dataset(
        key="contract number or certificate number",
        model=HousingContract,
        check_key=_contract_or_certificate,
    ),
    "marriage-registry": Dataset(key="resident ID number", model=Marriage, check_key=_resident_id),
    "birth-medical-record": Dataset(
        key="mother's resident ID number", model=BirthRecord, check_key=_resident_id
    ),
}
