"""mkdocs hooks: the site's home page is the README (docs/index.md is a placeholder), with its links to
`docs/NAME.md` (right on GitHub) pointing at the pages beside it."""

import os
import re


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != "index.md":
        return markdown
    root = os.path.dirname(os.path.abspath(config["config_file_path"]))
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        return re.sub(r"\]\(docs/", "](", f.read())
