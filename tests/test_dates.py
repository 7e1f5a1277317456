"""Behaviour of bot.dates: what a user may type, what instant it means, and how we show it back.

Unless a test says otherwise, "now" is Thursday 26 November 2026, 10:00 in Paris (09:00 UTC).
Paris switches to summer time on 2027-03-28 and back to winter time on 2026-10-25 / 2027-10-31.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
import time_machine
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.dates import MAX_TEXT_LENGTH, WhenError, format_short, format_when, parse_when, warm_up

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)  # a Thursday


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS, fold=fold)


def fr(text: str, now: datetime = NOW) -> datetime:
    return parse_when(text, now=now, tz="Europe/Paris", language="fr")


def en(text: str, now: datetime = NOW) -> datetime:
    return parse_when(text, now=now, tz="Europe/Paris", language="en")


def error_code(text: str, now: datetime = NOW, language: str = "fr") -> str:
    with pytest.raises(WhenError) as info:
        parse_when(text, now=now, language=language)
    return info.value.code


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    warm_up()


# --------------------------------------------------------------------------- result shape


def test_result_is_an_aware_datetime_in_utc() -> None:
    result = fr("demain 18h")
    assert result.tzinfo is UTC
    assert result == datetime(2026, 11, 27, 17, 0, tzinfo=UTC)


def test_now_must_be_aware_because_a_naive_now_has_no_meaning() -> None:
    with pytest.raises(ValueError):
        parse_when("demain 18h", now=datetime(2026, 11, 26, 10, 0))


def test_parsing_never_reads_the_host_clock() -> None:
    with time_machine.travel(datetime(2031, 6, 1, 12, 0, tzinfo=UTC), tick=False):
        assert fr("5 décembre 18h") == paris(2026, 12, 5, 18)
        assert fr("demain 18h") == paris(2026, 11, 27, 18)
        assert en("in 2 hours") == paris(2026, 11, 26, 12)


def test_an_unknown_time_zone_is_a_configuration_error_not_a_user_error() -> None:
    with pytest.raises(ZoneInfoNotFoundError):
        parse_when("demain 18h", now=NOW, tz="Nowhere/City")


def test_the_time_zone_argument_decides_how_wall_times_are_read() -> None:
    result = parse_when("demain 18h", now=NOW, tz="America/New_York", language="fr")
    assert result == datetime(2026, 11, 27, 18, 0, tzinfo=ZoneInfo("America/New_York"))


# --------------------------------------------------------------------------- French forms


def test_iso_date_and_time_is_read_in_paris_time() -> None:
    assert fr("2026-12-05 18:30") == paris(2026, 12, 5, 18, 30)


def test_iso_with_t_separator_is_accepted() -> None:
    assert fr("2026-12-05T18:30") == paris(2026, 12, 5, 18, 30)


def test_iso_date_with_a_french_time_is_accepted() -> None:
    assert fr("2026-12-05 18h30") == paris(2026, 12, 5, 18, 30)


def test_iso_with_an_explicit_offset_keeps_that_offset() -> None:
    assert fr("2026-12-05T18:30+00:00") == datetime(2026, 12, 5, 18, 30, tzinfo=UTC)


def test_french_numeric_date_is_day_first_with_18h30() -> None:
    assert fr("05/12/2026 18h30") == paris(2026, 12, 5, 18, 30)


def test_french_numeric_date_with_two_digit_year_means_this_century() -> None:
    assert fr("05/12/26 18h") == paris(2026, 12, 5, 18)


def test_5_decembre_18h_is_this_years_fifth_of_december_at_six_pm() -> None:
    assert fr("5 décembre 18h") == paris(2026, 12, 5, 18)


def test_le_5_decembre_a_18h_allows_the_article_and_the_a() -> None:
    assert fr("le 5 décembre à 18h") == paris(2026, 12, 5, 18)


def test_month_without_accent_and_18_heures_are_understood() -> None:
    assert fr("5 decembre 18 heures") == paris(2026, 12, 5, 18)


def test_19_h_with_a_space_and_18_h_30_are_understood() -> None:
    assert fr("5 décembre 19 h") == paris(2026, 12, 5, 19)
    assert fr("5 décembre 18 h 30") == paris(2026, 12, 5, 18, 30)


def test_a_date_without_time_means_the_end_of_that_day() -> None:
    assert fr("5 décembre") == paris(2026, 12, 5, 23, 59)
    assert fr("05/12/2026") == paris(2026, 12, 5, 23, 59)
    assert fr("2026-12-05") == paris(2026, 12, 5, 23, 59)
    assert fr("demain") == paris(2026, 11, 27, 23, 59)


def test_a_day_and_month_already_gone_this_year_means_next_year() -> None:
    assert fr("5 janvier 18h") == paris(2027, 1, 5, 18)
    assert fr("25 novembre") == paris(2027, 11, 25, 23, 59)


def test_todays_day_and_month_means_today_not_next_year() -> None:
    assert fr("26 novembre 18h") == paris(2026, 11, 26, 18)


def test_demain_18h_is_tomorrow_at_six_pm_paris_time() -> None:
    assert fr("demain 18h") == paris(2026, 11, 27, 18)


def test_demain_a_18h30_is_tomorrow_at_half_past_six_pm() -> None:
    assert fr("demain à 18h30") == paris(2026, 11, 27, 18, 30)
    assert fr("demain a 18h30") == paris(2026, 11, 27, 18, 30)


def test_demain_a_18_takes_a_bare_number_after_a_as_the_hour() -> None:
    assert fr("demain à 18") == paris(2026, 11, 27, 18)


def test_demain_18_without_a_is_refused_rather_than_guessed() -> None:
    assert error_code("demain 18") == "unparsable"


def test_apres_demain_9h_is_in_two_days_at_nine() -> None:
    assert fr("après-demain 9h") == paris(2026, 11, 28, 9)
    assert fr("apres-demain 9h") == paris(2026, 11, 28, 9)


def test_jeudi_19h_on_a_thursday_morning_is_this_evening() -> None:
    assert fr("jeudi 19h") == paris(2026, 11, 26, 19)


def test_jeudi_8h_on_a_thursday_at_ten_is_next_week() -> None:
    assert fr("jeudi 8h") == paris(2026, 12, 3, 8)


def test_vendredi_19h_is_the_coming_friday() -> None:
    assert fr("vendredi 19h") == paris(2026, 11, 27, 19)


def test_a_weekday_alone_is_the_end_of_its_next_occurrence() -> None:
    assert fr("samedi") == paris(2026, 11, 28, 23, 59)
    assert fr("jeudi") == paris(2026, 11, 26, 23, 59)


def test_lundi_prochain_10h_is_the_coming_monday() -> None:
    assert fr("lundi prochain 10h") == paris(2026, 11, 30, 10)


def test_jeudi_prochain_on_a_thursday_is_never_today() -> None:
    assert fr("jeudi prochain 19h") == paris(2026, 12, 3, 19)


def test_weekday_with_a_date_follows_the_date() -> None:
    assert fr("vendredi 4 décembre 19h") == paris(2026, 12, 4, 19)


def test_dans_2_heures_is_two_hours_from_now() -> None:
    assert fr("dans 2 heures") == NOW + timedelta(hours=2)
    assert fr("dans 2h") == NOW + timedelta(hours=2)
    assert fr("dans 30 minutes") == NOW + timedelta(minutes=30)
    assert fr("dans une heure") == NOW + timedelta(hours=1)


def test_dans_3_jours_is_the_same_time_three_days_later() -> None:
    assert fr("dans 3 jours") == paris(2026, 11, 29, 10)


def test_dans_3_jours_a_18h_sets_the_time_of_that_day() -> None:
    assert fr("dans 3 jours à 18h") == paris(2026, 11, 29, 18)


def test_dans_une_semaine_and_dans_un_mois() -> None:
    assert fr("dans une semaine") == paris(2026, 12, 3, 10)
    assert fr("dans 1 mois") == paris(2026, 12, 26, 10)


def test_ce_soir_20h_is_today_at_eight_pm() -> None:
    assert fr("ce soir 20h") == paris(2026, 11, 26, 20)


def test_ce_soir_8h_means_eight_in_the_evening() -> None:
    assert fr("ce soir 8h") == paris(2026, 11, 26, 20)
    assert fr("demain soir 8h") == paris(2026, 11, 27, 20)


def test_a_time_alone_is_its_next_occurrence() -> None:
    assert fr("18h") == paris(2026, 11, 26, 18)
    assert fr("à 18h") == paris(2026, 11, 26, 18)
    assert fr("9h") == paris(2026, 11, 27, 9)


def test_midi_is_noon() -> None:
    assert fr("demain midi") == paris(2026, 11, 27, 12)


def test_typing_style_does_not_matter() -> None:
    assert fr("  Demain   À 18H30 ") == paris(2026, 11, 27, 18, 30)
    assert fr("aujourd\u2019hui 20h") == paris(2026, 11, 26, 20)


def test_a_time_zone_in_the_text_is_honoured() -> None:
    assert fr("5 décembre 18:00 UTC") == datetime(2026, 12, 5, 18, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- English forms


def test_in_2_hours_is_two_hours_from_now() -> None:
    assert en("in 2 hours") == NOW + timedelta(hours=2)
    assert en("in an hour") == NOW + timedelta(hours=1)


def test_tomorrow_6pm_is_tomorrow_at_six_pm_paris_time() -> None:
    assert en("tomorrow 6pm") == paris(2026, 11, 27, 18)
    assert en("tomorrow at 6:30 pm") == paris(2026, 11, 27, 18, 30)


def test_tomorrow_18_30_accepts_a_24_hour_clock() -> None:
    assert en("tomorrow 18:30") == paris(2026, 11, 27, 18, 30)


def test_thursday_7pm_on_a_thursday_morning_is_this_evening() -> None:
    assert en("thursday 7pm") == paris(2026, 11, 26, 19)


def test_thursday_9am_on_a_thursday_at_ten_is_next_week() -> None:
    assert en("thursday 9am") == paris(2026, 12, 3, 9)


def test_next_monday_10_00_is_the_coming_monday() -> None:
    assert en("next monday 10:00") == paris(2026, 11, 30, 10)


def test_english_iso_forms() -> None:
    assert en("2026-12-05 18:30") == paris(2026, 12, 5, 18, 30)
    assert en("2026-12-05T18:30") == paris(2026, 12, 5, 18, 30)


def test_english_month_names_and_ordinals() -> None:
    assert en("December 5th at 7pm") == paris(2026, 12, 5, 19)
    assert en("5 Dec 2026 7:30 PM") == paris(2026, 12, 5, 19, 30)


def test_english_numeric_dates_are_month_first_like_format_short() -> None:
    assert en("12/05/2026 6pm") == paris(2026, 12, 5, 18)


def test_tonight_8_pm_and_today() -> None:
    assert en("tonight 8pm") == paris(2026, 11, 26, 20)
    assert en("today 6pm") == paris(2026, 11, 26, 18)


def test_in_3_days_and_day_after_tomorrow() -> None:
    assert en("in 3 days") == paris(2026, 11, 29, 10)
    assert en("day after tomorrow 9am") == paris(2026, 11, 28, 9)


def test_noon_is_twelve() -> None:
    assert en("tomorrow noon") == paris(2026, 11, 27, 12)


def test_either_language_setting_accepts_both_languages() -> None:
    assert en("demain 18h") == fr("tomorrow 6pm") == paris(2026, 11, 27, 18)


# --------------------------------------------------------------------------- daylight saving time


def test_a_date_in_july_is_summer_time_utc_plus_2() -> None:
    result = fr("14/07/2027 18h")
    assert result == datetime(2027, 7, 14, 16, 0, tzinfo=UTC)
    assert result.astimezone(PARIS).utcoffset() == timedelta(hours=2)


def test_late_october_after_the_switch_is_winter_time_utc_plus_1() -> None:
    early_october = paris(2026, 10, 1, 10)
    assert fr("24 octobre 18h", now=early_october) == datetime(2026, 10, 24, 16, 0, tzinfo=UTC)
    assert fr("28 octobre 18h", now=early_october) == datetime(2026, 10, 28, 17, 0, tzinfo=UTC)


def test_demain_10h_when_tomorrow_is_the_autumn_switch_day() -> None:
    saturday = paris(2026, 10, 24, 10)  # summer time; Sunday 25 is winter time from 03:00
    assert fr("demain 10h", now=saturday) == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)


def test_demain_10h_when_tomorrow_is_the_spring_switch_day() -> None:
    saturday = paris(2027, 3, 27, 10)  # winter time; Sunday 28 is summer time from 02:00
    assert fr("demain 10h", now=saturday) == datetime(2027, 3, 28, 8, 0, tzinfo=UTC)


def test_hours_are_elapsed_time_but_days_keep_the_wall_clock_across_a_switch() -> None:
    saturday_noon = paris(2026, 10, 24, 12)
    assert fr("dans 24 heures", now=saturday_noon) == paris(2026, 10, 25, 11)
    assert fr("dans 1 jour", now=saturday_noon) == paris(2026, 10, 25, 12)


def test_an_ambiguous_autumn_wall_time_means_the_first_occurrence() -> None:
    assert fr("2026-10-25 02:30", now=paris(2026, 10, 1)) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_skipped_spring_wall_time_is_moved_forward_by_the_gap() -> None:
    result = fr("2027-03-28 02:30")
    assert result == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert result.astimezone(PARIS).hour == 3


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "text",
    [
        "hier",
        "hier 18h",
        "aujourd'hui 8h",
        "26 novembre 8h",
        "2025-12-05 18:30",
        "05/12/2025",
        "il y a 2 jours",
    ],
)
def test_french_instants_not_after_now_are_refused_as_past(text: str) -> None:
    assert error_code(text) == "past"


@pytest.mark.parametrize("text", ["yesterday 6pm", "2 days ago", "today 9am", "12/05/2025 6pm"])
def test_english_instants_not_after_now_are_refused_as_past(text: str) -> None:
    assert error_code(text, language="en") == "past"


def test_ce_soir_20h_after_eight_pm_is_past_not_tomorrow() -> None:
    assert error_code("ce soir 20h", now=paris(2026, 11, 26, 21)) == "past"


def test_now_itself_is_past_because_it_is_not_after_now() -> None:
    assert error_code("2026-11-26 10:00") == "past"
    assert error_code("dans 0 minutes") == "past"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "blah",
        "n'importe quoi",
        "quand tu veux",
        "next week",
        "semaine prochaine",
        "décembre",
        "le 5",
        "2027",
        "25h",
        "18h61",
        "13pm",
        "31/04/2027",
        "demain blah 18h",
        "dans 2 heures à 18h",
    ],
)
def test_garbage_and_vague_text_is_unparsable(text: str) -> None:
    assert error_code(text) == "unparsable"
    assert error_code(text, language="en") == "unparsable"


def test_text_over_100_characters_is_unparsable_even_if_it_contains_a_date() -> None:
    assert error_code("demain 18h".ljust(MAX_TEXT_LENGTH + 1)) == "unparsable"
    assert fr("demain 18h".ljust(MAX_TEXT_LENGTH)) == paris(2026, 11, 27, 18)


def test_the_error_carries_its_code_for_the_caller_to_localise() -> None:
    error = WhenError("past")
    assert error.code == "past"
    assert isinstance(error, Exception)


# --------------------------------------------------------------------------- formatting


def test_format_when_in_french_reads_weekday_day_month_a_hours_h_minutes() -> None:
    assert format_when(paris(2026, 12, 3, 19)) == "jeudi 3 décembre à 19 h 00"
    assert format_when(paris(2026, 12, 3, 9, 5), language="fr") == "jeudi 3 décembre à 9 h 05"


def test_format_when_in_english_uses_a_12_hour_clock() -> None:
    assert format_when(paris(2026, 12, 3, 19), language="en") == "Thursday, December 3 at 7:00 PM"
    assert format_when(paris(2026, 12, 3, 0, 5), language="en") == "Thursday, December 3 at 12:05 AM"


def test_format_when_shows_the_instant_in_the_given_time_zone() -> None:
    assert format_when(datetime(2026, 12, 3, 18, 0, tzinfo=UTC)) == "jeudi 3 décembre à 19 h 00"
    assert format_when(datetime(2027, 7, 14, 16, 0, tzinfo=UTC)) == "mercredi 14 juillet à 18 h 00"
    assert (
        format_when(datetime(2026, 12, 3, 18, 0, tzinfo=UTC), tz="America/New_York", language="en")
        == "Thursday, December 3 at 1:00 PM"
    )


def test_format_when_adds_the_year_only_when_it_differs_from_now() -> None:
    assert format_when(paris(2026, 12, 3, 19), now=NOW) == "jeudi 3 décembre à 19 h 00"
    assert format_when(paris(2027, 12, 3, 19), now=NOW) == "vendredi 3 décembre 2027 à 19 h 00"
    assert (
        format_when(paris(2027, 12, 3, 19), now=NOW, language="en") == "Friday, December 3, 2027 at 7:00 PM"
    )
    assert format_when(paris(2027, 12, 3, 19)) == "vendredi 3 décembre à 19 h 00"


def test_format_when_compares_years_in_local_time() -> None:
    new_year_paris = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 January 2027 in Paris
    assert format_when(new_year_paris, now=NOW) == "vendredi 1 janvier 2027 à 0 h 30"


def test_format_short_is_compact_for_lists() -> None:
    assert format_short(paris(2026, 12, 3, 19), tz="Europe/Paris", language="fr") == "03/12 19:00"
    assert format_short(paris(2026, 12, 3, 19), tz="Europe/Paris", language="en") == "12/03 7:00 PM"


def test_locale_variants_are_accepted_and_unknown_languages_fall_back_to_english() -> None:
    assert format_short(paris(2026, 12, 3, 19), language="fr_FR") == "03/12 19:00"
    assert format_short(paris(2026, 12, 3, 19), language="en-GB") == "12/03 7:00 PM"
    assert format_when(paris(2026, 12, 3, 19), language="de") == "Thursday, December 3 at 7:00 PM"


def test_formatting_a_naive_datetime_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        format_when(datetime(2026, 12, 3, 19))
    with pytest.raises(ValueError):
        format_short(datetime(2026, 12, 3, 19))


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    "instant", [paris(2026, 12, 3, 19), paris(2027, 12, 3, 9, 5), paris(2027, 7, 14, 0, 30)]
)
def test_what_format_when_shows_can_be_typed_back(instant: datetime, language: str) -> None:
    shown = format_when(instant, now=NOW, language=language)
    assert parse_when(shown, now=NOW, language=language) == instant


# --------------------------------------------------------------------------- properties

NOW_UTC = NOW.astimezone(UTC)
TWO_YEARS_IN_MINUTES = 2 * 366 * 24 * 60


def _minutes_after_now(instant: datetime) -> int:
    return int((instant - NOW_UTC).total_seconds() // 60)


ISO, FR_NUMERIC, EN_NUMERIC = "%Y-%m-%d %H:%M", "%d/%m/%Y %Hh%M", "%m/%d/%Y %I:%M %p"
FIRST_0230_2027 = _minutes_after_now(datetime(2027, 10, 31, 0, 30, tzinfo=UTC))  # 02:30 summer time
SECOND_0230_2027 = _minutes_after_now(datetime(2027, 10, 31, 1, 30, tzinfo=UTC))  # 02:30 winter time
LAST_WINTER_MINUTE_2027 = _minutes_after_now(datetime(2027, 3, 28, 0, 59, tzinfo=UTC))  # 01:59
FIRST_SUMMER_MINUTE_2027 = _minutes_after_now(datetime(2027, 3, 28, 1, 0, tzinfo=UTC))  # 03:00
_LAYOUTS = {"fr": [ISO, FR_NUMERIC, "%Y-%m-%dT%H:%M"], "en": [ISO, EN_NUMERIC]}


@settings(deadline=None, max_examples=150)
@given(
    minutes=st.integers(min_value=1, max_value=TWO_YEARS_IN_MINUTES),
    layout=st.sampled_from([(lang, fmt) for lang, fmts in _LAYOUTS.items() for fmt in fmts]),
)
@example(minutes=FIRST_0230_2027, layout=("fr", ISO))
@example(minutes=SECOND_0230_2027, layout=("fr", ISO))
@example(minutes=SECOND_0230_2027, layout=("fr", FR_NUMERIC))
@example(minutes=LAST_WINTER_MINUTE_2027, layout=("en", EN_NUMERIC))
@example(minutes=FIRST_SUMMER_MINUTE_2027, layout=("fr", ISO))
def test_a_future_local_wall_time_round_trips_to_its_instant(minutes: int, layout: tuple[str, str]) -> None:
    """Typing the local wall time of a future instant gives that instant back.

    Exception, by definition: during the repeated autumn hour a wall time names two instants, and
    parse_when returns the earlier one (the second occurrence cannot be typed as a wall time).
    """
    language, fmt = layout
    instant = NOW_UTC + timedelta(minutes=minutes)
    local = instant.astimezone(PARIS)
    earliest = local.replace(fold=0).astimezone(UTC)
    ambiguous = local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()
    result = parse_when(local.strftime(fmt), now=NOW, tz="Europe/Paris", language=language)
    assert result == earliest
    if not ambiguous:
        assert result == instant


@settings(deadline=None, max_examples=200)
@given(text=st.text(max_size=MAX_TEXT_LENGTH))
def test_any_text_gives_a_future_utc_instant_or_a_when_error(text: str) -> None:
    try:
        result = parse_when(text, now=NOW)
    except WhenError as error:
        assert error.code in ("unparsable", "past")
    else:
        assert result.tzinfo is UTC
        assert result > NOW
