"""The bare reference app of bench/ceiling.py: Flask + Jinja + SQLAlchemy, one page that
selects 20 posts with their authors (one join) and renders them as one table.

    CEILING_DB=sqlite:////tmp/forum-ceiling-10000t.db gunicorn -w 2 --pythonpath bench ceiling_ref:app

It reads the forum's own ``posts`` and ``users`` tables, so both apps read the same file.
"""

from __future__ import annotations

import os

from flask import Flask, render_template_string
from sqlalchemy import create_engine, text

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Posts</title></head>
<body><main><h1>Posts</h1>
<table><thead><tr><th>Post</th><th>Author</th><th>When</th><th>Body</th></tr></thead><tbody>
{% for row in rows %}<tr><td><a href="/p/{{ row.id }}">#{{ row.id }}</a></td><td>{{ row.username }}</td>
<td>{{ row.created_at }}</td><td>{{ row.body }}</td></tr>
{% endfor %}</tbody></table></main></body></html>"""

SQL = text(
    "SELECT posts.id, posts.body, posts.created_at, users.username FROM posts "
    "JOIN users ON users.id = posts.author_id WHERE posts.topic_id = :topic ORDER BY posts.id LIMIT 20"
)

app = Flask(__name__)
engine = create_engine(os.environ.get("CEILING_DB", "sqlite:////tmp/forum-ceiling-10000t.db"))
TOPIC = int(os.environ.get("CEILING_TOPIC", "1"))


@app.route("/")
def posts():
    with engine.connect() as conn:
        rows = conn.execute(SQL, {"topic": TOPIC}).all()
    return render_template_string(PAGE, rows=rows)
