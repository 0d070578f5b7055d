"""How a JobResult shows in a notebook: _repr_markdown_ and _repr_html_."""

from __future__ import annotations

import html.parser
from typing import Any

from leapocr_sdk import JobResult, JobStatus, PageResult
from leapocr_sdk.testing import LeapOCREmulator, make_pdf

HOSTILE = 'Total <script>alert("x")</script> & <b>bold</b>'


class Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_a_result_shows_its_facts_and_its_first_page_escaped(
    make_client: Any, leapocr_emulator: LeapOCREmulator
) -> None:
    client = make_client(
        api_key=leapocr_emulator.api_key, base_url=leapocr_emulator.base_url, real_sleep=True
    )
    result = client.process(make_pdf([HOSTILE, "second page"]), poll_interval=0.02)

    page = Tags()
    page.feed(result._repr_html_())
    assert "script" not in page.tags and "b" not in page.tags  # the page's HTML is text
    shown = "".join(page.text)
    assert HOSTILE in shown  # as written, once unescaped by the browser
    for fact in ("completed", "2 of 2", "standard-v2", result.job_id):
        assert fact in shown
    assert "second page" not in shown  # the first page only

    markdown = result._repr_markdown_()
    assert markdown.startswith(f"**LeapOCR job** `{result.job_id}` · status: completed · ")
    assert "pages: 2 of 2 · credits: 2 · model: standard-v2" in markdown
    assert f"```markdown\n{HOSTILE}\n```" in markdown  # in a code block: never rendered


def test_a_long_page_is_cut_to_a_screen() -> None:
    text = "\n".join(f"line {n}" for n in range(500))
    result = JobResult(
        "job-1",
        JobStatus.PARTIALLY_DONE,
        None,
        None,
        None,
        "markdown",
        (PageResult(1, text, None, text),),
        None,
        total_pages=3,
    )
    markdown = result._repr_markdown_()
    assert "line 29\n```" in markdown and "line 30" not in markdown
    assert f"… ({len(text) - len(chr(10).join(text.splitlines()[:30]))} more characters)" in (
        markdown
    )
    assert "status: partially_done · pages: 1 of 3 · credits: unknown · model: unknown" in markdown
    assert "line 30" not in result._repr_html_() and "more characters" in result._repr_html_()
    fenced = JobResult(
        "j",
        JobStatus.COMPLETED,
        1,
        None,
        None,
        None,
        (PageResult(1, "```\nescape\n```", None, None),),
        None,
    )
    assert fenced._repr_markdown_().count("```") == 2  # the page cannot close the block


def test_structured_results_show_their_data() -> None:
    result = JobResult(
        "job-2",
        JobStatus.COMPLETED,
        1,
        None,
        "pro-v2",
        "structured",
        (PageResult(1, None, {"a": "<x>"}, None),),
        {"a": "<x>"},
    )
    assert '```json\n{\n  "a": "<x>"\n}\n```' in result._repr_markdown_()
    assert "&lt;x&gt;" in result._repr_html_()
