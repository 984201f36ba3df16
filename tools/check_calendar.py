#!/usr/bin/env python3
"""Cross-checks the calendar files (config/calendar/<year>.toml) against the PyPI package
chinese-calendar, day by day: every day of each year must be a working day in both or in
neither. CI runs it (.ci/run installs the package); run it by hand after adding a year:

    pip install chinesecalendar && python3 tools/check_calendar.py

A year the package does not know yet is reported and skipped; a disagreement fails.
"""
import datetime
import glob
import os
import sys
import tomllib

import chinese_calendar

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def expand(path):
    with open(path, "rb") as f:
        data = tomllib.load(f)
    date = datetime.date.fromisoformat
    off, on = set(), set()
    for h in data["holidays"]:
        day = date(h["from"])
        while day <= date(h["to"]):
            off.add(day)
            day += datetime.timedelta(days=1)
        on.update(date(d) for d in h.get("workdays", []))
    return data["year"], off, on


def main():
    files = sorted(glob.glob(os.path.join(ROOT, "config", "calendar", "*.toml")))
    if not files:
        print("no calendar files found", file=sys.stderr)
        return 1
    failures = 0
    for path in files:
        year, off, on = expand(path)
        day, end, checked, wrong = datetime.date(year, 1, 1), datetime.date(year, 12, 31), 0, 0
        try:
            chinese_calendar.is_workday(day)
        except NotImplementedError:
            print(f"{year}: chinese-calendar {chinese_calendar.__version__} has no data; not checked")
            continue
        while day <= end:
            ours = (day in on) or (day.weekday() < 5 and day not in off)
            theirs = chinese_calendar.is_workday(day)
            if ours != theirs:
                wrong += 1
                print(f"{year}: {day} is a {'working' if ours else 'free'} day in {os.path.basename(path)}, "
                      f"a {'working' if theirs else 'free'} day in chinese-calendar")
            checked += 1
            day += datetime.timedelta(days=1)
        failures += wrong
        print(f"{year}: {checked - wrong} of {checked} days agree with chinese-calendar {chinese_calendar.__version__}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
