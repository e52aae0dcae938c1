"""The vetting status engine: the worst finding wins, only required kinds count."""

import datetime as dt

from minewatch.people.engine.vetting import (
    CLEARED,
    EXPIRED,
    EXPIRING,
    FAILED,
    INCOMPLETE,
    Record,
    Requirements,
    requirements_for,
    vetting_status,
)

TODAY = dt.date(2026, 6, 1)
REQ = Requirements(vetting=("police_record", "polygraph"), training=("human_rights",),
                   licence=True, validity_days={"polygraph": 365})  # fmt: skip


def full(**changes):
    records = {
        "vetting": [Record("police_record", dt.date(2026, 1, 1), "clear", dt.date(2027, 1, 1)),
                    Record("polygraph", dt.date(2026, 1, 1), "clear")],
        "training": [Record("human_rights", dt.date(2025, 1, 1))],
        "licences": [Record("licence", dt.date(2025, 1, 1), "clear", dt.date(2027, 6, 1))],
    }  # fmt: skip
    records.update(changes)
    return records


def test_everything_valid_is_cleared_with_next_expiry():
    status = vetting_status(REQ, today=TODAY, **full())
    assert status.state == CLEARED and status.cleared and status.reasons == ()
    assert status.next_expiry == dt.date(2027, 1, 1)  # polygraph 2026-01-01 + 365 days


def test_validity_days_apply_when_the_record_has_no_expiry():
    old = [Record("police_record", dt.date(2026, 1, 1), "clear", dt.date(2027, 1, 1)),
           Record("polygraph", dt.date(2025, 5, 1), "clear")]  # fmt: skip
    status = vetting_status(REQ, today=TODAY, **full(vetting=old))
    assert status.state == EXPIRED and status.reasons == ("expired:polygraph",)
    assert not status.cleared


def test_expiring_within_warn_days_is_still_cleared():
    soon = [Record("police_record", dt.date(2026, 1, 1), "clear", TODAY + dt.timedelta(days=5)),
            Record("polygraph", dt.date(2026, 1, 1), "clear")]  # fmt: skip
    status = vetting_status(REQ, today=TODAY, warn_days=7, **full(vetting=soon))
    assert status.state == EXPIRING and status.cleared
    assert status.reasons == ("expiring:police_record",)
    assert vetting_status(REQ, today=TODAY, warn_days=4, **full(vetting=soon)).state == CLEARED


def test_failed_beats_expired_and_missing():
    records = [Record("police_record", dt.date(2026, 1, 1), "failed"),
               Record("polygraph", dt.date(2020, 1, 1), "clear")]  # fmt: skip
    status = vetting_status(REQ, today=TODAY, **full(vetting=records, training=[]))
    assert status.state == FAILED
    assert status.reasons[0] == "failed:police_record"
    assert set(status.reasons) == {"failed:police_record", "expired:polygraph",
                                   "missing:training:human_rights"}  # fmt: skip


def test_the_latest_record_of_a_kind_decides():
    records = [Record("police_record", dt.date(2025, 1, 1), "failed"),
               Record("police_record", dt.date(2026, 2, 1), "clear", dt.date(2027, 2, 1)),
               Record("polygraph", dt.date(2026, 1, 1), "clear")]  # fmt: skip
    assert vetting_status(REQ, today=TODAY, **full(vetting=records)).state == CLEARED


def test_missing_or_flagged_is_incomplete():
    flagged = [Record("police_record", dt.date(2026, 1, 1), "flagged"),
               Record("polygraph", dt.date(2026, 1, 1), "clear")]  # fmt: skip
    status = vetting_status(REQ, today=TODAY, **full(vetting=flagged))
    assert status.state == INCOMPLETE and status.reasons == ("flagged:police_record",)
    status = vetting_status(REQ, today=TODAY, **full(licences=[]))
    assert status.state == INCOMPLETE and status.reasons == ("missing:licence",)


def test_an_expired_licence_makes_a_guard_not_cleared_but_staff_need_none():
    expired = [Record("licence", dt.date(2024, 1, 1), "clear", dt.date(2026, 5, 31))]
    assert vetting_status(REQ, today=TODAY, **full(licences=expired)).state == EXPIRED
    staff = requirements_for("staff", {"staff": ["police_record"]}, {}, {})
    assert not staff.licence
    assert vetting_status(staff, today=TODAY, vetting=full()["vetting"]).state == CLEARED


def test_optional_failed_check_does_not_block():
    extra = [*full()["vetting"], Record("drug_test", dt.date(2026, 1, 1), "failed")]
    assert vetting_status(REQ, today=TODAY, **full(vetting=extra)).state == CLEARED
