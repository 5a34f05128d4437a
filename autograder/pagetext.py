"""Text on a page: escaped, made valid, and names between backticks shown as code.

Every text a page shows may come from a student (an id, an error message quoted in a sentence):
it goes through here, so it can neither add markup nor stop the page from being written.
"""

import html
import re

from .report import MAX_REPORT_TEXT
from .untrusted import clean_text

CODE = re.compile(r"`([^`\n]{1,200})`")


def text_html(text: str) -> str:
    """Text as HTML: valid, cut to MAX_REPORT_TEXT, escaped."""
    return html.escape(clean_text(text, MAX_REPORT_TEXT))


def sentence_html(text: str) -> str:
    """A sentence as HTML: escaped, with names between backticks shown as code."""
    return CODE.sub(r"<code>\1</code>", text_html(text))
