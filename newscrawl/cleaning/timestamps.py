"""Is a line only a date or time ("Monday, 22 January 2018 at 0:13", "Updated 5 hours ago")?

Such lines are page furniture when they stand alone: the item's `published` field
already carries the date. A line qualifies when every word is a number, a month
or weekday name, a time-zone or a connective from a small multilingual list, and
at least one word is a number, and another a date word (or the numbers include a
clock time): "02-751-1500" is a phone number, not a date.
"""

from __future__ import annotations

import re

__all__ = ["DATE_WORDS", "is_period", "is_timestamp"]

_MONTHS = (
    # English, Portuguese, Spanish, Italian, French, German, Indonesian; full and short forms.
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro "
    "enero febrero marzo mayo junio julio septiembre octubre noviembre diciembre "
    "gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre "
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre "
    "januar februar märz juni juli oktober dezember "
    "januari februari maret mei agustus desember "
    # Dutch, Polish (the genitive a date takes, "20 listopada", and the nominative),
    # Turkish; Russian and Ukrainian (genitive, nominative, short forms); Arabic (the
    # Egyptian and the Levantine names), Hebrew (and with the prefix "in", "בנובמבר").
    "maart augustus "
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia "
    "styczeń luty marzec kwiecień maj czerwiec lipiec sierpień wrzesień październik listopad grudzień "
    "sty lut kwi cze lip sie wrz paź gru "
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря "
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь "
    "янв фев мар апр июн июл авг сен сент окт ноя нояб дек "
    "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня "
    "січень лютий березень квітень травень червень липень серпень вересень жовтень листопад грудень "
    "يناير فبراير مارس أبريل ابريل إبريل مايو يونيو يوليو أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر ديسمبر "
    "كانون شباط آذار اذار نيسان أيار ايار حزيران تموز آب اب أيلول ايلول تشرين الأول الاول الثاني "
    "ינואר פברואר מרץ אפריל מאי יוני יולי אוגוסט ספטמבר אוקטובר נובמבר דצמבר "
    "בינואר בפברואר במרץ באפריל במאי ביוני ביולי באוגוסט בספטמבר באוקטובר בנובמבר בדצמבר"
)
_WEEKDAYS = (
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun "
    "segunda terça quarta quinta sexta sábado domingo feira "
    "lunes martes miércoles jueves viernes "
    "lunedì martedì mercoledì giovedì venerdì sabato "
    "lundi mardi mercredi jeudi vendredi samedi dimanche "
    "montag dienstag mittwoch donnerstag freitag samstag sonntag "
    "senin selasa rabu kamis jumat sabtu minggu "
    "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag "
    "poniedziałek wtorek środa czwartek piątek sobota niedziela "
    "понедельник вторник среда четверг пятница суббота воскресенье "
    "понеділок вівторок середа четвер п ятниця субота неділя "
    "الاثنين الإثنين الثلاثاء الأربعاء الاربعاء الخميس الجمعة السبت الأحد الاحد "
    "יום ראשון שני שלישי רביעי חמישי שישי שבת"
)
_CONNECTIVES = (
    "the of on at in de da do del di du le la il el em às as à a um um and et y e "
    "am pm a.m p.m h hrs ago hour hours minute minutes min mins second seconds day days week weeks "
    "published updated posted last modified first publicado atualizado actualizado pubblicato "
    "aggiornato publié mis à jour diperbarui dipublikasikan diterbitkan "
    "gmt utc bst cet cest est edt cst cdt pst pdt ist jst kst wib wita wit aest aedt "
    "today yesterday hoje ontem oggi ieri hoy ayer "
    "입력 수정 업데이트 오전 오후 년 월 일 시 분 "
    # "2026 г. в 10:42", "о 10:42", "20 Kasım 2026 saat 10:42", "الساعة", "בשעה".
    "г года в обновлено опубликовано сегодня вчера мск "
    "р року о оновлено опубліковано сьогодні вчора "
    "om bijgewerkt gepubliceerd vandaag gisteren "
    "r o godz zaktualizowano opublikowano dzisiaj wczoraj "
    "في الساعة م ص مساء صباحا آخر تحديث نشر بتاريخ بتوقيت "
    "ב בשעה עודכן פורסם היום אתמול"
)
_TURKISH = (
    "ocak şubat mart nisan mayıs haziran temmuz ağustos eylül ekim kasım aralık "
    "pazartesi salı çarşamba perşembe cuma cumartesi pazar "
    "saat güncellendi güncelleme yayınlanma tarihi bugün dün"
)
DATE_WORDS = frozenset(
    (_MONTHS + " " + _WEEKDAYS + " " + _CONNECTIVES + " " + _TURKISH).split()
    # Turkish capitals casefold without their dotless "ı": "KASIM" is "kasim".
    + _TURKISH.replace("ı", "i").split()
)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Digits with Korean/Japanese/Chinese date units attached: "2019년", "11월", "20日".
_NUMBER = re.compile(r"\d+(?:st|nd|rd|th|h|년|월|일|시|분|年|月|日|時|分)?")

_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")

# Longer lines are sentences that happen to be full of dates.
MAX_TIMESTAMP_WORDS = 14


def is_timestamp(line: str) -> bool:
    """True if `line` (already case-folded) says nothing but a date or time."""
    if "\u0307" in line:
        # Turkish capitals casefold with a combining dot ("NİSAN" to "ni̇san"),
        # which would split the word in two.
        line = line.replace("\u0307", "")
    has_number = has_word = False
    # Token by token: a line of text fails at its first word that is no date's, and
    # need not be split whole (every paragraph of a page is asked: 0.16 against
    # 0.03 ms a page on the 1,165 shared pages).
    for number, found in enumerate(_TOKEN.finditer(line), 1):
        if number > MAX_TIMESTAMP_WORDS:
            return False
        token = found.group()
        if _NUMBER.fullmatch(token):
            has_number = True
        elif token in DATE_WORDS:
            # A letter alone ("r" of "2026 r.", "в" of "в 10:42") joins a date, and
            # does not make one: "R : 50,000" is a price.
            has_word = has_word or len(token) > 1
        else:
            return False
    # Numbers alone are a phone number or a score unless they read as a time ("14:32").
    return has_number and (has_word or _CLOCK.search(line) is not None)


# The words that say which date of a page a date line gives: a line with two dates
# and one of these is a date line ("Published 3 March 2026 | Updated 4 March 2026").
_STAMPS = (
    "published updated posted modified publicado atualizado actualizado pubblicato"
    " aggiornato publié mis jour diperbarui dipublikasikan diterbitkan обновлено"
    " опубликовано оновлено опубліковано bijgewerkt gepubliceerd zaktualizowano"
    " opublikowano تحديث نشر עודכן פורסם güncellendi güncelleme yayınlanma 입력 수정 업데이트"
)
_STAMP_WORDS = frozenset(_STAMPS.split())
_TURKISH_MONTHS = _TURKISH.split()[:12]
_MONTH_WORDS = frozenset(
    _MONTHS.split() + _TURKISH_MONTHS + [month.replace("ı", "i") for month in _TURKISH_MONTHS]
) - {
    # the second word of a Levantine month's name ("تشرين الثاني"), no month alone
    "الأول",
    "الاول",
    "الثاني",
}
_YEAR = re.compile(r"(?:1[89]|20)\d\d")


def is_period(line: str) -> bool:
    """True if `line` (already case-folded; a line of dates, see is_timestamp)
    gives two dates and no word that says which is the page's: an event's period,
    "29 november 2018 | 20 january 2019", "12 march – 30 june 2026", which an
    exhibition's or a festival's story opens with, not the page's date line."""
    tokens = _TOKEN.findall(line.replace("\u0307", ""))
    if any(token in _STAMP_WORDS for token in tokens):
        return False
    months = sum(token in _MONTH_WORDS for token in tokens)
    years = sum(_YEAR.fullmatch(token) is not None for token in tokens)
    return months >= 2 or years >= 2
