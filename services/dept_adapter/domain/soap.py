"""SOAP 1.1 messages of the tax system, built and read with ElementTree.

Exact wire contract: docs/legacy-protocols.md §2. A soap:Server fault is retryable, a
soap:Client fault terminal; an answer with a DTD is refused unread (no entity expansion).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any

from contracts.events import MissingMaterial
from services.dept_adapter.domain.outcomes import (
    Answer,
    Cancelled,
    Completed,
    Rejected,
    Retryable,
    Supplement,
    Terminal,
)

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
TAX_NS = "urn:onewindow:tax"
CONTENT_TYPE = "text/xml; charset=utf-8"
SUBMIT_ACTION = f'"{TAX_NS}#SubmitFiling"'
CANCEL_ACTION = f'"{TAX_NS}#CancelFiling"'

ET.register_namespace("soap", SOAP_NS)
ET.register_namespace("tax", TAX_NS)


class Unparseable(ValueError):
    pass


def _add(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{TAX_NS}}}{name}")
    element.text = text
    return element


def _envelope(operation: str) -> tuple[ET.Element, ET.Element]:
    envelope = ET.Element(f"{{{SOAP_NS}}}Envelope")
    body = ET.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    return envelope, _add(body, operation)


def field_text(value: Any) -> str:
    """Every Field value is text: strings as they are, booleans true/false, others as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def submit_request(
    key: str, application_id: str, subtask: str, inputs: Mapping[str, Any], materials: Iterable[str]
) -> bytes:
    envelope, operation = _envelope("SubmitFiling")
    _add(operation, "IdempotencyKey", key)
    _add(operation, "ApplicationId", application_id)
    _add(operation, "Subtask", subtask)
    inputs_element = _add(operation, "Inputs")
    for name, value in inputs.items():
        _add(inputs_element, "Field", field_text(value)).set("name", name)
    materials_element = _add(operation, "Materials")
    for code in materials:
        _add(materials_element, "Code", code)
    return _serialised(envelope)


def cancel_request(receipt: str) -> bytes:
    envelope, operation = _envelope("CancelFiling")
    _add(operation, "Receipt", receipt)
    return _serialised(envelope)


def _serialised(envelope: ET.Element) -> bytes:
    document: bytes = ET.tostring(envelope, encoding="utf-8", xml_declaration=True)
    return document


def _child(parent: ET.Element, name: str) -> ET.Element | None:
    found = parent.find(f"{{{TAX_NS}}}{name}")
    return found if found is not None else parent.find(name)


def _children(parent: ET.Element | None, name: str) -> list[ET.Element]:
    if parent is None:
        return []
    return parent.findall(f"{{{TAX_NS}}}{name}") + parent.findall(name)


def _text(parent: ET.Element, name: str) -> str:
    element = _child(parent, name)
    text = (element.text or "").strip() if element is not None else ""
    if not text:
        raise Unparseable(f"element {name} is missing or empty")
    return text


def _body_element(body: bytes) -> ET.Element:
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise Unparseable("document type declarations are refused")
    try:
        envelope = ET.fromstring(body)
    except ET.ParseError as e:
        raise Unparseable(f"not well-formed XML: {e}") from None
    soap_body = envelope.find(f"{{{SOAP_NS}}}Body")
    if envelope.tag != f"{{{SOAP_NS}}}Envelope" or soap_body is None or len(soap_body) != 1:
        raise Unparseable("expected soap:Envelope/soap:Body/<one element>")
    return soap_body[0]


def _fault(fault: ET.Element) -> Retryable | Terminal:
    code = (fault.findtext("faultcode") or "").strip()
    detail = fault.find(f"detail/{{{TAX_NS}}}FaultDetail")
    tax_code = _child(detail, "Code") if detail is not None else None
    error = (
        f"{code} {tax_code.text if tax_code is not None else ''}: {fault.findtext('faultstring')}"
    )
    if code.endswith(":Server") or code == "Server":
        return Retryable(error)
    return Terminal(error)


def _decision(response: ET.Element) -> Answer:
    status, receipt = _text(response, "Status"), _text(response, "Receipt")
    if status == "completed":
        fields = _children(_child(response, "Outputs"), "Field")
        return Completed(receipt, {f.get("name", ""): f.text or "" for f in fields})
    if status == "rejected":
        return Rejected(receipt, _text(response, "Reason"))
    if status == "supplement":
        materials = tuple(
            MissingMaterial(code=_text(m, "Code"), name=_text(m, "Name"), reason=_text(m, "Reason"))
            for m in _children(_child(response, "Materials"), "Material")
        )
        if not materials:
            raise Unparseable("a supplement answer lists no materials")
        return Supplement(receipt, materials)
    raise Unparseable(f"unknown Status {status!r}")


def answer(status: int, body: bytes) -> Answer:
    """The outcome of a SubmitFiling or CancelFiling exchange."""
    try:
        element = _body_element(body)
        if element.tag == f"{{{SOAP_NS}}}Fault":
            return _fault(element)
        if status >= 500:
            return Retryable(f"HTTP {status} without a SOAP fault")
        if status != 200:
            return Terminal(f"HTTP {status}")
        if element.tag == f"{{{TAX_NS}}}SubmitFilingResponse":
            return _decision(element)
        if element.tag == f"{{{TAX_NS}}}CancelFilingResponse":
            if _text(element, "Status") != "cancelled":
                raise Unparseable("CancelFilingResponse without Status cancelled")
            return Cancelled(_text(element, "Receipt"))
        raise Unparseable(f"unexpected answer element {element.tag}")
    except Unparseable as e:
        if status >= 500:
            return Retryable(f"HTTP {status}, unreadable body: {e}")
        return Terminal(f"unparseable answer: {e}")
