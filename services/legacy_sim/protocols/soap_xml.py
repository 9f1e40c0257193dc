"""SOAP 1.1 messages of the tax system, read and written with ElementTree.

Body children are in the ``urn:onewindow:tax`` namespace; unqualified children are accepted
too. A document with a DTD is refused (no entity expansion at all).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
TAX_NS = "urn:onewindow:tax"
SOAP_ACTIONS = {"SubmitFiling": f"{TAX_NS}#SubmitFiling", "CancelFiling": f"{TAX_NS}#CancelFiling"}
CONTENT_TYPE = "text/xml; charset=utf-8"

ET.register_namespace("soap", SOAP_NS)
ET.register_namespace("tax", TAX_NS)


class SoapClientError(ValueError):
    """The request is not an acceptable SOAP message: a soap:Client fault."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SubmitFiling:
    idempotency_key: str
    application_id: str
    subtask: str
    inputs: dict[str, str]
    materials: tuple[str, ...]


@dataclass(frozen=True)
class CancelFiling:
    receipt: str


def _child(parent: ET.Element, name: str) -> ET.Element | None:
    found = parent.find(f"{{{TAX_NS}}}{name}")
    return found if found is not None else parent.find(name)


def _children(parent: ET.Element, name: str) -> list[ET.Element]:
    return parent.findall(f"{{{TAX_NS}}}{name}") + parent.findall(name)


def _text(parent: ET.Element, name: str) -> str:
    element = _child(parent, name)
    text = (element.text or "").strip() if element is not None else ""
    if not text:
        raise SoapClientError("MISSING_ELEMENT", f"element {name} is missing or empty")
    return text


def _operation(body: bytes) -> ET.Element:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SoapClientError("MALFORMED_REQUEST", "the body is not UTF-8") from None
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise SoapClientError("MALFORMED_REQUEST", "document type declarations are refused")
    try:
        envelope = ET.fromstring(text)
    except ET.ParseError as e:
        raise SoapClientError("MALFORMED_REQUEST", f"not well-formed XML: {e}") from None
    soap_body = envelope.find(f"{{{SOAP_NS}}}Body")
    if envelope.tag != f"{{{SOAP_NS}}}Envelope" or soap_body is None or len(soap_body) != 1:
        raise SoapClientError("MALFORMED_REQUEST", "expected soap:Envelope/soap:Body/<operation>")
    return soap_body[0]


def parse_request(body: bytes, soap_action: str | None) -> SubmitFiling | CancelFiling:
    operation = _operation(body)
    name = operation.tag.removeprefix(f"{{{TAX_NS}}}")
    if name not in SOAP_ACTIONS:
        raise SoapClientError("UNKNOWN_OPERATION", f"unknown operation {operation.tag}")
    if soap_action is not None and soap_action.strip('"') != SOAP_ACTIONS[name]:
        raise SoapClientError("SOAP_ACTION_MISMATCH", f"SOAPAction does not name {name}")
    if name == "CancelFiling":
        return CancelFiling(_text(operation, "Receipt"))
    inputs: dict[str, str] = {}
    inputs_element = _child(operation, "Inputs")
    for field in _children(inputs_element, "Field") if inputs_element is not None else []:
        field_name = field.get("name")
        if not field_name or field_name in inputs:
            raise SoapClientError("MALFORMED_REQUEST", "each Field needs a unique name attribute")
        inputs[field_name] = field.text or ""
    materials_element = _child(operation, "Materials")
    materials = [] if materials_element is None else _children(materials_element, "Code")
    key = _text(operation, "IdempotencyKey")
    if len(key) > 200:
        raise SoapClientError("MALFORMED_REQUEST", "IdempotencyKey is longer than 200 characters")
    return SubmitFiling(
        idempotency_key=key,
        application_id=_text(operation, "ApplicationId"),
        subtask=_text(operation, "Subtask"),
        inputs=inputs,
        materials=tuple((m.text or "").strip() for m in materials),
    )


def _envelope() -> tuple[ET.Element, ET.Element]:
    envelope = ET.Element(f"{{{SOAP_NS}}}Envelope")
    return envelope, ET.SubElement(envelope, f"{{{SOAP_NS}}}Body")


def _add(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{TAX_NS}}}{name}")
    element.text = text
    return element


def _serialise(envelope: ET.Element) -> bytes:
    document: bytes = ET.tostring(envelope, encoding="utf-8", xml_declaration=True)
    return document


def submit_response(
    status: str,
    receipt: str,
    *,
    outputs: Mapping[str, str] | None = None,
    reason: str | None = None,
    materials: Sequence[tuple[str, str, str]] = (),
) -> bytes:
    envelope, body = _envelope()
    response = _add(body, "SubmitFilingResponse")
    _add(response, "Status", status)
    _add(response, "Receipt", receipt)
    if outputs is not None:
        outputs_element = _add(response, "Outputs")
        for name, value in outputs.items():
            _add(outputs_element, "Field", value).set("name", name)
    if reason is not None:
        _add(response, "Reason", reason)
    if materials:
        materials_element = _add(response, "Materials")
        for code, name, why in materials:
            material = _add(materials_element, "Material")
            _add(material, "Code", code)
            _add(material, "Name", name)
            _add(material, "Reason", why)
    return _serialise(envelope)


def cancel_response(receipt: str) -> bytes:
    envelope, body = _envelope()
    response = _add(body, "CancelFilingResponse")
    _add(response, "Status", "cancelled")
    _add(response, "Receipt", receipt)
    return _serialise(envelope)


def fault(kind: Literal["Server", "Client"], message: str, code: str) -> bytes:
    """soap:Server means "retry later"; soap:Client means "this request will never succeed"."""
    envelope, body = _envelope()
    soap_fault = ET.SubElement(body, f"{{{SOAP_NS}}}Fault")
    ET.SubElement(soap_fault, "faultcode").text = f"soap:{kind}"
    ET.SubElement(soap_fault, "faultstring").text = message
    detail = _add(ET.SubElement(soap_fault, "detail"), "FaultDetail")
    _add(detail, "Code", code)
    _add(detail, "Retryable", "true" if kind == "Server" else "false")
    return _serialise(envelope)
