from pathlib import Path

from yimen.cases.management.commands.workflow import workflow_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "workflow.md"


def test_the_documented_move_table_is_the_one_the_code_enforces():
    text = DOC.read_text(encoding="utf-8")
    generated = text.split("<!-- generated: yimen workflow -->\n", 1)[1].split("<!-- end generated -->", 1)[0]
    assert generated == workflow_markdown(), "docs/workflow.md is stale: run `yimen workflow` and paste the table"
