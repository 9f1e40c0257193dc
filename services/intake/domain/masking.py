"""Personal data as the ledger and the public certificate check show it: masked."""

from __future__ import annotations


def mask_key(key: str) -> str:
    """A record's key (ID number, credit code, certificate number): its first 6 and last 4
    characters, 330106********1236; a short one its first 2."""
    if len(key) > 10:
        return key[:6] + "*" * (len(key) - 10) + key[-4:]
    return key[:2] + "*" * max(len(key) - 2, 0)


def mask_name(name: str) -> str:
    """A person's or a company's name: its first character (and its last two, past four
    characters): 陈思远 → 陈**, 杭州一窗科技有限公司 → 杭*******公司."""
    if len(name) > 4:
        return name[0] + "*" * (len(name) - 3) + name[-2:]
    return name[:1] + "*" * (len(name) - 1)
