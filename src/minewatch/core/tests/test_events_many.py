"""core.events.publish_many: one batch to a subscriber's batch form, one by one to the others."""

import pytest

from minewatch.core import events
from minewatch.core.events import Event


@pytest.mark.django_db
def test_batch_form_gets_the_events_together_and_the_others_one_by_one(
    django_capture_on_commit_callbacks,
):
    singles, batches = [], []

    def one(event):
        singles.append(event.name)

    def broken(event):
        raise RuntimeError("a failing subscriber never stops the others")

    def each(event):
        raise AssertionError("the batch form is called instead")

    def many(batch):
        batches.append([event.name for event in batch])

    for callback, batch_form in ((broken, None), (one, None), (each, many)):
        events.subscribe(callback, many=batch_form)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events.publish_many([Event("a.one", 1), Event("a.two", 1)])
            events.publish_many([])
    finally:
        for callback in (broken, one, each):
            events.unsubscribe(callback)
    assert singles == ["a.one", "a.two"]
    assert batches == [["a.one", "a.two"]]
    assert each not in events._batch_forms
