"""The departments OneWindow routes sub-tasks to; each has its topic onewindow.tasks.<code>."""

DEPARTMENTS: dict[str, str] = {
    "amr": "市场监督管理局 (market regulation)",
    "tax": "税务局 (taxation)",
    "psb": "公安局 (public security)",
    "hrss": "人力资源和社会保障局 (human resources and social security)",
    "hpf": "住房公积金中心 (housing provident fund)",
    "hcd": "住房和城乡建设局 (housing and construction)",
    "nrb": "自然资源和规划局 (natural resources, real-estate registration)",
    "water": "供水公司 (water utility)",
    "power": "供电公司 (power utility)",
    "gas": "燃气公司 (gas utility)",
    "hhc": "卫生健康委员会 (health commission)",
    "mia": "医疗保障局 (medical insurance)",
}


def department_name(code: str) -> str:
    """The Chinese name of a department; its code when the list does not know it."""
    return DEPARTMENTS.get(code, code).split(" (")[0]
