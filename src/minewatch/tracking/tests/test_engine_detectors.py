"""Each detector on small hand-made tracks, including GPS noise near its thresholds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from minewatch.tracking.engine import DetectorConfig, Fix, TrackingEngine, Zone
from minewatch.tracking.tests.engine_samples import (
    T0,
    drive,
    fix,
    kinds,
    lonlat,
    make_engine,
    park,
)

# 50 km/h for 60 fixes every 10 s: 8.3 km, ending between the rest stop and the town.
APPROACH_M = 60 * 50 / 3.6 * 10


def only(detections, kind):
    return [d for d in detections if d.kind == kind]


@pytest.mark.parametrize(
    ("parked_s", "expected"),
    [(540, 0), (720, 1), (1800, 1)],
)
def test_unscheduled_stop_reported_once_only_past_threshold(parked_s, expected):
    track = drive(0, 0, 50, 60) + park(600, APPROACH_M, parked_s)
    track += drive(600 + parked_s, APPROACH_M, 50, 5)
    stops = only(make_engine(stop_min_s=600).process_fixes(track), "unscheduled_stop")
    assert len(stops) == expected
    if expected:
        assert stops[0].time == T0 + timedelta(seconds=600 + 600)
        assert stops[0].details["stopped_s"] == 600.0


def test_stop_speed_jitter_between_thresholds_does_not_split_the_stop():
    # park() cycles a 7 km/h reading: above stop_speed_kmh (5) but below move_speed_kmh (10)
    track = drive(0, 0, 50, 60) + park(600, APPROACH_M, 660)
    assert kinds(make_engine(stop_min_s=600).process_fixes(track)).count("unscheduled_stop") == 1


def test_stop_split_by_a_real_move_above_move_speed_is_not_reported():
    track = drive(0, 0, 50, 60) + park(600, APPROACH_M, 400)
    track += [fix(1000, APPROACH_M + 20, 0, 15.0)] + park(1010, APPROACH_M + 30, 400)
    assert "unscheduled_stop" not in kinds(make_engine(stop_min_s=600).process_fixes(track))


def test_stop_not_reported_inside_authorised_zone():
    track = drive(0, 4000, 50, 5) + park(50, 5000, 1800)
    assert "unscheduled_stop" not in kinds(make_engine().process_fixes(track))


def test_stop_before_departure_window_is_not_reported():
    track = park(-3600, 1000, 1800)
    assert "unscheduled_stop" not in kinds(make_engine().process_fixes(track))


def test_route_deviation_reported_after_min_time_and_fixes():
    track = drive(0, 0, 50, 10) + drive(100, 1400, 50, 10, east_m=600.0)
    (deviation,) = only(make_engine(deviation_min_s=60).process_fixes(track), "route_deviation")
    assert deviation.time == T0 + timedelta(seconds=160)
    assert deviation.details["distance_m"] == pytest.approx(600.0, abs=1.0)


@pytest.mark.parametrize(
    ("offsets_m", "expected"),
    [
        ([250, 0, 0, 0, 0, 0, 0, 0, 0], 0),  # one noisy fix off the corridor
        ([190, 195, 190, 185, 195, 190, 195, 190, 195], 0),  # inside the 200 m buffer
        ([260, 240, 175, 260, 240, 175, 260, 240, 175], 1),  # hysteresis band keeps "off"
    ],
)
def test_route_deviation_tolerates_noise_near_buffer(offsets_m, expected):
    track = [fix(i * 10, 1000 + i * 140, east, 50.0) for i, east in enumerate(offsets_m)]
    found = make_engine(deviation_min_s=60, deviation_min_fixes=3).process_fixes(track)
    assert kinds(found).count("route_deviation") == expected


def test_poor_accuracy_fixes_do_not_make_a_deviation():
    track = [fix(i * 10, 1000 + i * 140, 600, 50.0, accuracy_m=500.0) for i in range(10)]
    assert "route_deviation" not in kinds(make_engine().process_fixes(track))


def test_signal_loss_and_restore_report_gap_time_and_distance():
    track = drive(0, 0, 50, 5) + drive(40 + 900, 1000, 50, 3)
    found = make_engine(max_gap_s=300).process_fixes(track)
    (loss,) = only(found, "signal_loss")
    (restored,) = only(found, "signal_restored")
    assert loss.time == T0 + timedelta(seconds=40 + 300)
    assert restored.details["gap_s"] == 900.0
    assert restored.details["gap_distance_m"] == pytest.approx(1000 - 4 * 50 / 3.6 * 10, abs=1)


def test_gap_shorter_than_threshold_is_not_a_signal_loss():
    track = drive(0, 0, 50, 5) + drive(40 + 290, 600, 50, 3)
    assert "signal_loss" not in kinds(make_engine(max_gap_s=300).process_fixes(track))


def test_advance_clock_reports_loss_once_and_restore_still_follows():
    engine = make_engine(max_gap_s=300)
    engine.process_fixes(drive(0, 0, 50, 5))
    assert kinds(engine.advance_clock(T0 + timedelta(seconds=200))) == []
    assert kinds(engine.advance_clock(T0 + timedelta(seconds=400))) == ["signal_loss"]
    assert kinds(engine.advance_clock(T0 + timedelta(seconds=500))) == []
    assert kinds(engine.process_fixes(drive(900, 1000, 50, 1))) == ["signal_restored"]


@pytest.mark.parametrize(
    ("speeds", "expected"),
    [
        ([96, 97, 96, 97], 1),  # above 90 + 5 on 3+ fixes
        ([120, 60, 120, 60], 0),  # isolated spikes
        ([94, 94, 94, 94], 0),  # within the tolerance
    ],
)
def test_overspeed_needs_consecutive_fixes_over_limit_plus_tolerance(speeds, expected):
    track = [fix(i * 10, 1000 + i * 250, 0, s) for i, s in enumerate(speeds)]
    assert kinds(make_engine().process_fixes(track)).count("overspeed") == expected


def test_overspeed_uses_zone_limit_inside_town():
    track = [fix(i * 10, 9800 + i * 100, 0, 40.0) for i in range(6)]
    (over,) = only(make_engine().process_fixes(track), "overspeed")
    assert over.details == {"speed_kmh": 40.0, "limit_kmh": 30.0}


def test_alarm_reported_when_it_appears_not_on_every_repeat():
    track = [fix(i * 10, 1000, 0, 0.0, alarm="sos" if 1 <= i <= 4 else None) for i in range(6)]
    track.append(fix(60, 1000, 0, 0.0, alarm="sos"))
    assert kinds(make_engine().process_fixes(track)) == ["alarm", "alarm"]


def test_geofence_enter_and_exit_once_despite_noise_at_the_fence():
    zone = Zone("camp", center_lonlat=lonlat(3000, 0), radius_m=500)
    engine = TrackingEngine(DetectorConfig(zone_margin_m=25), zones=[zone])
    # walk in across the fence with +-15 m jitter around 500 m from the centre, then out
    distances = [900, 700, 510, 490, 515, 488, 300, 100, 300, 495, 510, 492, 700, 900]
    track = [fix(i * 10, 3000 - d, 0, 20.0) for i, d in enumerate(distances)]
    found = engine.process_fixes(track)
    assert kinds(found) == ["zone_enter", "zone_exit"]
    assert found[0].details == {"zone": "camp", "zone_kind": "generic"}
    assert found[0].time == T0 + timedelta(seconds=60)
    assert found[1].time == T0 + timedelta(seconds=120)


def test_convoy_split_when_cargo_falls_far_behind_escort():
    escort = drive(0, 0, 60, 20, device="ESC-1")
    cargo = drive(5, 0, 60, 4) + [fix(45 + i * 10, 700, 0, 0.0) for i in range(16)]
    escort += drive(200, 3333, 60, 80, device="ESC-1")
    cargo += [fix(205 + i * 10, 700, 0, 0.0) for i in range(80)]
    stream = sorted(escort + cargo, key=lambda f: f.fix_time)
    splits = only(make_engine(split_distance_m=5000, stop_min_s=3600).process_fixes(stream),
                  "convoy_split")  # fmt: skip
    assert len(splits) == 1
    assert splits[0].device_key == "TRK-1"
    assert splits[0].details["distance_m"] > 5000


def test_convoy_not_split_when_escort_position_is_too_old():
    escort = drive(0, 0, 60, 2, device="ESC-1")
    cargo = [fix(300 + i * 10, 9000, 0, 60.0) for i in range(10)]
    found = make_engine(convoy_max_age_s=120).process_fixes(escort + cargo)
    assert "convoy_split" not in kinds(found)


def test_late_arrival_once_after_window_unless_arrived():
    late = [fix(7300 + i * 10, 15_000 + i * 100, 0, 36.0) for i in range(5)]
    found = make_engine().process_fixes(late)
    assert kinds(found).count("late_arrival") == 1
    arrived = [fix(7000, 19_000, 0, 36.0), fix(7010, 20_000, 0, 10.0), fix(7300, 20_000, 0, 0.0)]
    assert "late_arrival" not in kinds(make_engine().process_fixes(arrived))


def test_duplicate_fix_processed_once_and_counted():
    engine = make_engine()
    first = fix(0, 1000, 0, 0.0, alarm="sos")
    found = engine.process_fixes([first, first])
    assert kinds(found) == ["alarm"]
    assert engine.counters == {"accepted": 1, "duplicate": 1, "out_of_order": 0}


def test_out_of_order_fix_makes_no_false_gap_or_stop_but_keeps_its_alarm():
    engine = make_engine(max_gap_s=300)
    track = drive(0, 0, 50, 25)  # 3.3 km, short of the rest stop
    old = fix(100, 0, 0, 0.0, alarm="sos")
    found = engine.process_fixes(track[:20] + [old] + track[20:])
    assert kinds(found) == ["alarm"]
    assert found[0].details == {"alarm": "sos", "out_of_order": True}
    assert engine.counters["out_of_order"] == 1


def test_unknown_speed_is_derived_from_positions():
    track = [Fix("TRK-1", T0 + timedelta(seconds=10 * i), *reversed(lonlat(1000 + 300 * i, 0)))
             for i in range(5)]  # fmt: skip  # 300 m / 10 s = 108 km/h
    assert "overspeed" in kinds(make_engine().process_fixes(track))


def test_convoy_split_needs_a_fresh_escort_fix_and_never_reports_nan():
    # The audit's case: escort one fix at T, cargo 6 km away at T+1, T+2, then T+130 s.
    # At T+130 the escort's fix is older than convoy_max_age_s: the distance is unknown,
    # which is no split (and, before the fix, a split with distance_m NaN).
    escort = [fix(0, 0, 0, 40.0, device="ESC-1")]
    cargo = [fix(1, 6000, 0, 40.0), fix(2, 6000, 0, 40.0), fix(130, 6500, 0, 40.0)]
    engine = make_engine(convoy_max_age_s=120, split_min_fixes=3)
    found = engine.process_fixes(escort) + engine.process_fixes(cargo)
    assert "convoy_split" not in kinds(found)
    # The stale escort is its own condition: the escort's signal loss (clock-driven).
    lost = engine.advance_clock(T0 + timedelta(seconds=400))
    assert [(d.kind, d.device_key) for d in lost] == [("signal_loss", "ESC-1")]


def test_convoy_split_still_reported_on_fresh_fixes_after_a_stale_stretch():
    escort = [fix(0, 0, 0, 40.0, device="ESC-1")]
    cargo = [fix(1, 6000, 0, 40.0), fix(2, 6000, 0, 40.0), fix(130, 6500, 0, 40.0)]
    escort_back = [fix(140, 0, 0, 40.0, device="ESC-1")]
    cargo_far = [fix(141 + i, 6500, 0, 40.0) for i in range(3)]
    engine = make_engine(convoy_max_age_s=120, split_min_fixes=3)
    found = []
    for batch in (escort, cargo, escort_back, cargo_far):
        found += engine.process_fixes(batch)
    splits = only(found, "convoy_split")
    assert len(splits) == 1 and splits[0].time == T0 + timedelta(seconds=143)
    assert 6400 < splits[0].details["distance_m"] < 6600


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_detection_details_are_always_finite(bad):
    from minewatch.tracking.engine.detectors import detection_at

    engine = make_engine()
    device = engine.device_id("TRK-1")
    made = detection_at(engine, "overspeed", device, 0, 1.0, 2.0,
                        {"speed_kmh": bad, "nested": {"x": [1.0, bad]}, "ok": 3.5})  # fmt: skip
    assert made.details == {"speed_kmh": None, "nested": {"x": [1.0, None]}, "ok": 3.5}
