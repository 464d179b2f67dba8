"""One app replica for the replica tests: ``python -m tests.backends.app_replica`` (env names the store).

Runs the app (Streamlit's AppTest, in this process, with this process's own
store) signed in as the IT office on the review queue, then answers commands
read from stdin, one JSON line each on stdout:

``queue``    how many items wait for review on the page, and the id of the one picked
``approve``  approve the evidence the page has picked (the first one if none is chosen), having
             ticked "I have looked at the points" when it raises any; its id
``rerun``    run the page again (what the browser does on the next click), then ``queue``
"""

from __future__ import annotations

import json
import sys

from tests.app.conftest import open_page, signed_in
from tests.app.test_choices import tick_seen


def queue(at) -> dict:
    """How many items the page offers for review, and the one it has picked (an evidence id)."""
    boxes = [b for b in at.selectbox if b.label == "審查項目"]
    if not boxes:
        return {"count": 0, "picked": None}
    return {"count": len(boxes[0].options), "picked": boxes[0].value}


def _first_waiting() -> str:
    """The id of the first item the queue offers (the chooser's values are ids, its options labels)."""
    from tracker.core.config import Settings
    from tracker.services.evidence import review_queue
    from tracker.storage.backend import open_store

    return review_queue(open_store(Settings.from_env()))[0].id


def main() -> None:
    at = open_page(signed_in("it.office"), "review_queue")
    for line in sys.stdin:
        command = line.strip()
        if command == "approve":
            box = next(b for b in at.selectbox if b.label == "審查項目")
            if box.value is None:  # the choice empties when its record leaves the queue
                box.set_value(_first_waiting()).run()
                box = next(b for b in at.selectbox if b.label == "審查項目")
            picked = box.value
            tick_seen(at, picked)
            at.button(key="approve").click().run()
            answer = {"approved": picked, "errors": [e.value for e in at.exception]}
        elif command == "rerun":
            at.run()
            answer = queue(at)
        else:
            answer = queue(at)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
