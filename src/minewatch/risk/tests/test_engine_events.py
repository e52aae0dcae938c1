"""Backtest CSV loader: errors name the row and the column; skip_bad counts."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from minewatch.risk.engine.events import EventsCsvError, events_from_records, load_events_csv

GOOD_ROW = "2024-03-01T10:00:00Z,-14.05,-72.10,organised_crime"


def write_csv(tmp_path, *rows, header="time,lat,lon,threat"):
    path = tmp_path / "events.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_good_file_loads_sorted_with_threats(tmp_path):
    path = write_csv(tmp_path, "2024-03-02T10:00:00-05:00,-14.0,-72.0,internal", GOOD_ROW)
    loaded = load_events_csv(path)
    assert loaded.skipped_rows == 0
    assert list(loaded.events.threat) == ["organised_crime", "internal"]
    assert loaded.events.t_s[1] == datetime(2024, 3, 2, 15, tzinfo=UTC).timestamp()


def test_missing_column_is_named(tmp_path):
    path = write_csv(tmp_path, "2024-03-01T10:00:00Z,-14.0", header="time,lat")
    with pytest.raises(EventsCsvError, match="missing column.*lon"):
        load_events_csv(path)


@pytest.mark.parametrize(
    ("bad_row", "column", "message"),
    [
        ("yesterday,-14.0,-72.0,internal", "time", "unparsable date"),
        ("2024-03-01T10:00:00,-14.0,-72.0,internal", "time", "no UTC offset"),
        ("2024-03-01T10:00:00Z,-94.0,-72.0,internal", "lat", "out of range"),
        ("2024-03-01T10:00:00Z,-14.0,190,internal", "lon", "out of range"),
        ("2024-03-01T10:00:00Z,abc,-72.0,internal", "lat", "not a number"),
        ("2024-03-01T10:00:00Z,,-72.0,internal", "lat", "empty"),
    ],
)
def test_bad_row_error_names_row_and_column(tmp_path, bad_row, column, message):
    path = write_csv(tmp_path, GOOD_ROW, bad_row)
    with pytest.raises(EventsCsvError, match=message) as caught:
        load_events_csv(path)
    assert (caught.value.row, caught.value.column) == (2, column)
    assert f"row 2, column '{column}'" in str(caught.value)


def test_skip_bad_counts_skipped_rows(tmp_path):
    path = write_csv(tmp_path, GOOD_ROW, "bad,-14,-72,x", "2024-03-01T11:00:00Z,99,-72,x")
    loaded = load_events_csv(path, skip_bad=True)
    assert len(loaded.events) == 1
    assert loaded.skipped_rows == 2
    assert "row 3, column 'lat'" in loaded.skipped_reasons[1]


def test_naive_time_accepted_as_utc_when_asked(tmp_path):
    path = write_csv(tmp_path, "2024-03-01T10:00:00,-14.0,-72.0,internal")
    loaded = load_events_csv(path, naive_as_utc=True)
    assert loaded.events.t_s[0] == datetime(2024, 3, 1, 10, tzinfo=UTC).timestamp()


def test_records_with_naive_datetime_rejected():
    aware = datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=-5)))
    with pytest.raises(ValueError, match="event 1"):
        events_from_records([aware, datetime(2024, 1, 2)], [0.0, 0.0], [0.0, 0.0])
