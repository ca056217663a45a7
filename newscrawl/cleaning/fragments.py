r"""Boilerplate fragments: whole paragraphs that are page furniture, not text.

Each pattern must match a *whole* paragraph (after normalisation and trimming of
decorative punctuation), never a part of one: "Read more" alone is a link label,
while "Read more about the ruling in our explainer." is a sentence of the story.
That is what keeps these rules precise enough to run on every page.

Users add their own patterns (same full-match semantics) through the
``NEWSCRAWL_FRAGMENT_PATTERNS`` setting and a sites file's ``boilerplate``.

A user's pattern may backtrack catastrophically: ``(\w+\s?)+ newsletter`` took
17 s of CPU on a paragraph of 40 characters with ``re``, for ever on a page.
Which patterns do cannot be told from their text, so they are not refused;
they are bounded instead. Each is compiled on its own with the ``regex``
module (which backtracks less, and stops a match after a time) and applied
with a CPU time bound: USER_PATTERN_SECONDS a paragraph, USER_PATTERNS_PAGE_SECONDS
for all of them on a page (a PatternClock). A pattern that runs out of time is
not applied to the rest of the page: the paragraphs it did not finish are kept,
never lost, and the page's result names the pattern (`timed_out`) for the
caller to count and warn of (PatternTimeouts). The built-in patterns are ours
(bounded repetitions, on paragraphs of at most FRAGMENT_MAX_CHARS) and stay one
``re`` expression, matching as before at the same speed.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import regex

from newscrawl.cleaning.normalize import comparison_key
from newscrawl.cleaning.timestamps import is_period, is_timestamp

__all__ = [
    "BUILTIN_FRAGMENT_PATTERNS",
    "EDGE_ONLY",
    "SHOWN_PATTERN_CHARS",
    "USER_PATTERNS_PAGE_SECONDS",
    "USER_PATTERN_SECONDS",
    "FragmentMatcher",
    "InvalidPatternError",
    "PatternClock",
    "PatternTimeouts",
    "compile_user_pattern",
    "shown_pattern",
]

_NETWORKS = (
    r"(?:facebook|twitter|x|instagram|linkedin|tiktok|youtube|threads|bluesky|mastodon"
    r"|whatsapp|telegram|reddit|pinterest|flipboard|messenger|google news|email|e-mail)"
)

# Sharing buttons named for the networks of other markets: "分享到：微信 微博".
_OTHER_NETWORKS = (
    r"(?:微信|微博|qq空间|qq|朋友圈|豆瓣|vk|вконтакте|одноклассники|ok|line|kakaotalk|카카오톡)"
)

# The networks by their Arabic and Hebrew names: "Follow us" in those languages is
# written as "we followed" ("تابعنا") and "they followed us" ("עקבו אחרינו") are,
# so a line naming no network after it is a sentence ("تابعنا على شاشات
# التلفزيون مشاهد الدمار", "We followed on television the scenes of destruction").
# Matched within the words, which take prefixes ("وتويتر", "בפייסבוק").
_ARABIC_HEBREW_NETWORKS = (
    r"(?:فيسبوك|فيس بوك|تويتر|إكس|انستغرام|إنستغرام|انستجرام|إنستجرام|يوتيوب|تيك توك"
    r"|تيليجرام|تلغرام|تليجرام|واتساب|واتس اب|سناب شات|لينكد إن|مواقع التواصل|تطبيق"
    r"|פייסבוק|טוויטר|אינסטגרם|יוטיוב|טלגרם|טיקטוק|וואטסאפ|ווטסאפ|רשתות החברתיות)"
)

# Greek "Read also", "See also": written in capitals the accents go, and casefolding
# (as comparison keys are) turns the final sigma into "σ".
_GREEK_READ_ALSO = r"(?:δι[αά]β[αά]στε (?:επ[ιί]σησ|ακ[οό]μ[ηα])|δε[ιί]τε επ[ιί]σησ)"


def _turkish(phrase: str) -> str:
    """`phrase`, written in lower case, as a pattern that also matches its capitals
    once casefolded: Turkish "İ" folds to "i" and a combining dot ("İLGİLİ" to
    "i̇lgi̇li̇"), which a plain "i" does not match."""
    return phrase.replace("i", "i\u0307?")


_TURKISH_RELATED = _turkish(
    "(?:bunlar da )?ilginizi çekebilir|ilgili haberler|benzer haberler|en çok okunanlar"
)
_TURKISH_READ_ALSO = _turkish("ilgili haber(?:ler)?|bunu da okuyun|ayrıca okuyun")

# Grouped by the kind of furniture they describe; the group names are for readers
# and for tests, every match counts under the one cleaning rule "fragment".
BUILTIN_FRAGMENT_PATTERNS: dict[str, tuple[str, ...]] = {
    "related": (
        # "More From This Section", "More stories from the author", "More in Sport"
        (
            r"more (?:stories |news |articles |coverage |videos? )?(?:from|in|on|about) "
            r"(?:this|the) (?:section|topic|category|author|site|series)"
        ),
        r"more (?:from|in|on) [\w'&.-]+(?: [\w'&.-]+){0,3}",
        r"more (?:stories|news|articles|headlines|videos|topics|coverage|to read|like this)",
        (
            r"(?:related|recommended|suggested|similar|popular|trending|featured|latest|recent"
            r"|most (?:read|popular|viewed|shared|commented))"
            r"(?: (?:articles?|stories|news|posts|content|coverage|links|reads?|reading|videos"
            r"|topics|now|today|for you|on [\w'&.-]+(?: [\w'&.-]+){0,2}))*"
        ),
        r"top (?:stories|news|headlines)",
        r"you (?:may|might|will|could) (?:also )?(?:like|enjoy|be interested in)",
        (
            r"(?:see also|further reading|editors?'?s? picks?|read next|up next|what to read next"
            r"|don'?t miss|do not miss|in other news|elsewhere on [\w'&.-]+)"
        ),
        (
            r"(?:leia também|leia mais|leggi anche|baca juga|lihat juga|lea también|lire aussi"
            r"|mehr zum thema|관련 ?기사|함께 볼 ?만한 뉴스)"
        ),
        # "Read also", "Related news" in other large news languages: Russian,
        # Ukrainian, Turkish, Arabic, Hindi, Chinese, Japanese, Vietnamese,
        # Indonesian, Greek. A whole line only, so a sentence using the words is text.
        (
            r"(?:читайте (?:также|по теме|також)|смотрите также|дивіться також"
            r"|(?:другие|похожие) новости|(?:новости|материалы) по теме|по теме|самое читаемое"
            rf"|{_TURKISH_RELATED}|[اإ]قرأ (?:أيضا|أيضاً|ايضا|ايضاً)|(?:أخبار|مواضيع|مقالات) ذات صلة"
            r"|الأكثر قراءة|(?:यह|ये) भी पढ़ें|संबंधित (?:खबरें|ख़बरें|समाचार)"
            r"|相关(?:阅读|新闻|文章|报道)|延伸阅读|推荐阅读|更多新闻|热门新闻"
            r"|関連(?:記事|ニュース)|[あ合]わせて読みたい|おすすめ記事"
            r"|tin liên quan|tin cùng chuyên mục|xem thêm|đọc thêm"
            r"|berita terkait|artikel terkait"
            r"|קראו גם|קרא גם|כתבות נוספות|עוד בנושא|بیشتر بخوانید|مطالب مرتبط|اخبار مرتبط"
            r"|อ่านเพิ่มเติม|อ่านต่อ|ข่าวที่เกี่ยวข้อง"
            rf"|{_GREEK_READ_ALSO})"
        ),
        # The same labels in the other languages of the main European news markets
        # (German, French, Spanish, Portuguese, Italian, Dutch, Polish).
        (
            r"(?:lesen sie (?:auch|mehr)|auch lesen|lies auch|lesetipps?|zum weiterlesen"
            r"|schon gelesen\??|mehr zum thema(?: auf [\w'.-]+)?|mehr themen"
            r"|weitere (?:artikel|beiträge|themen"
            r"|nachrichten|meldungen|informationen zum thema)(?: zum thema| aus [\w' -]{1,40})?"
            r"|(?:verwandte|ähnliche|empfohlene) (?:artikel|beiträge|themen)|meistgelesen|top-themen"
            r"|das (?:thema )?könnte (?:sie|dich) auch interessieren|auch interessant"
            r"|à lire (?:aussi|également)|lire (?:aussi|également)|à voir aussi|voir aussi"
            r"|sur le même (?:sujet|thème)|articles? (?:similaires|liés|connexes)|les plus lus"
            r"|vous aimerez aussi|lee también|(?:le|te) puede interesar|también te puede interesar"
            r"|(?:noticias|notas|artículos|contenidos?) relacionad[oa]s|contenido relacionado"
            # "More news" as a label, as "More stories" above.
            r"|(?:más|otras) noticias|(?:mais|outras) notícias|altre notizie"
            r"|(?:ver|vea|mira) también|(?:lo )?más leíd[oa]s?|veja também|saiba mais"
            r"|notícias relacionadas|mais lidas|potrebbe interessarti|ti potrebbe interessare"
            r"|articoli correlati|più letti|lees ook|bekijk ook|gerelateerde artikelen|meest gelezen"
            r"|czytaj (?:też|także)|zobacz (?:też|także)|przeczytaj (?:też|także)|polecamy"
            r"|najczęściej czytane)"
        ),
    ),
    "advertisement": (
        (
            r"(?:advertisement|advertising|advert|ad|sponsored(?: content| posts?| links?)?"
            r"|promoted(?: content| stories)?|paid (?:content|post)"
            r"|publicidade|pubblicità|publicidad|werbung|anzeige|annonce|iklan|광고"
            # and in Russian, Ukrainian, Arabic, Hebrew, Hindi, Thai, Chinese,
            # Japanese, Turkish, Greek and Vietnamese
            r"|реклама|إعلان|اعلان|פרסומת|विज्ञापन|โฆษณา|广告|広告|reklam|διαφ[ηή]μιση|quảng cáo)"
        ),
        (
            r"(?:story|article|content|text) continues (?:below|after (?:the )?(?:ad|advertisement))"
            r"(?: advertisement)?"
        ),
        r"scroll (?:down )?to continue(?: reading| with content)?",
        # A sponsor's line, whole and short: "Sponsored by Harbour Bank", "Produced
        # in partnership with Harbour Bank". Not a sentence going on past a comma:
        # "Sponsored by the harbour trust, the regatta returns next summer."
        # Nor a bill's sponsor in a story about a legislature: "Sponsored by Rep.
        # Ann Lee", "Sponsored by Councilwoman Rosa Diaz".
        (
            r"(?:sponsored by(?! (?:state |u\.?s\. )?(?:reps?|sens?|senators?|representatives?"
            r"|assembly(?:man|woman|member)s?|council(?:man|woman|member|lor)s?|del|delegates?"
            r"|congress(?:man|woman|member)s?|mps?|meps?|gov|governor|alder(?:man|woman|person)s?"
            r"|lawmakers?|legislators?)\b)|(?:paid for|brought to you) by"
            r"|(?:(?:produced|created|published|presented) )?in (?:partnership|association) with)"
            r" [\w.'’&-]+(?: [\w.'’&-]+){0,4}"
        ),
    ),
    "read_more": (
        r"(?:read|see|view|click) (?:more|here|all|the full (?:story|article|report)|full story)",
        r"read (?:the )?(?:rest|whole) of (?:the|this) (?:story|article)",
        r"continue reading(?: the (?:story|article)| below| after the ad)?",
        r"(?:also read|read also|read more)(?: (?:here|about this|stories|news))?",
        # A prompt followed by the linked headline: "Read more: Rates to rise again".
        (
            r"(?:read more|also read|read also|see also|see more|related(?: \w+)?|more|read next|recommended"
            r"|leia também|leia mais|leggi anche|baca juga"
            r"|lesen sie (?:auch|mehr)|auch lesen|lies auch|lesetipp|mehr zum thema|schon gelesen"
            r"|à lire (?:aussi|également)|lire (?:aussi|également)|voir aussi|lea también|lee también"
            r"|lea más|lee más|(?:ver|vea) también|puedes ver|(?:le|te) puede interesar"
            r"|veja também|saiba mais|lees ook|czytaj (?:też|także|więcej)|zobacz (?:też|także)"
            # A video's teaser: "Watch: Ferry returns to the harbour after the storm".
            r"|watch(?: now| live)?"
            r"|читайте (?:также|по теме|також)|[اإ]قرأ (?:أيضا|أيضاً|ايضا|ايضاً)|(?:यह|ये) भी पढ़ें"
            r"|xem thêm|đọc thêm|延伸阅读|相关阅读|関連記事|관련 ?기사"
            r"|קראו גם|קרא גם|بیشتر بخوانید|بخوانید|อ่านเพิ่มเติม|อ่านต่อ"
            rf"|{_TURKISH_READ_ALSO}|{_GREEK_READ_ALSO})"
            r" ?[:»>|：] ?.{1,160}"
        ),
        (
            r"(?:weiterlesen|mehr lesen|lire la suite|leer más|seguir leyendo|continuar leyendo"
            r"|continua a leggere|leia mais|czytaj dalej|lees verder|lees meer)"
        ),
    ),
    "share": (
        (
            r"(?:share|tweet|email|print|copy link|save)"
            r"(?: (?:this|the))?(?: (?:article|story|post|page|link))?"
            rf"(?: (?:on|via|with|to) {_NETWORKS})?"
        ),
        (
            r"(?:(?:artikel |beitrag )?teilen(?: mit| auf| per)?|partager(?: cet article| sur)?"
            r"|compartir(?: en| este artículo)?|compartilhar|condividi|delen|udostępnij)"
            rf"(?: {_NETWORKS})?"
        ),
        r"gift (?:this )?(?:article|story)|copy link(?: to clipboard)?|link copied(?: to clipboard)?",
        # "Share" in Russian, Ukrainian, Arabic, Persian, Hebrew, Hindi, Chinese,
        # Japanese, Thai, Turkish, Greek, Vietnamese and Korean, with the networks.
        (
            r"(?:поделиться|поділитися|شارك(?: (?:هذا )?(?:المقال|الخبر))?|مشاركة|اشتراک\u200c?گذاری"
            r"|שתפו(?: את הכתבה)?|שתף|शेयर करें|साझा करें|分享(?:到|至)?|(?:この記事を)?シェア(?:する)?"
            r"|แชร์(?:บทความนี้)?|paylaş|κοινοποίηση|chia sẻ|공유(?:하기)?)"
            rf"(?: ?:? ?(?:{_NETWORKS}|{_OTHER_NETWORKS})(?:[ ,|/·•]+(?:{_NETWORKS}|{_OTHER_NETWORKS}))*)?"
        ),
        # A row of sharing buttons: "Share Facebook Twitter Email"
        rf"(?:(?:share|print|copy link|comments?|{_NETWORKS})[ ,|/·•]*){{2,}}",
    ),
    "follow": (
        # "Follow us" in Arabic and Hebrew: "تابعونا على فيسبوك وتويتر".
        (
            r"(?:(?:تابعونا|تابعنا)(?: (?:على|عبر))?|עקבו אחרינו)"
            rf"(?: [\w ,-]{{0,30}}?(?:{_ARABIC_HEBREW_NETWORKS}|{_NETWORKS})[\w ,-]{{0,30}})?"
        ),
        # "Follow us", "Follow @desk", "Follow The Desk on X and Threads"; but not a
        # heading such as "Follow the money", hence no bare "follow <words>".
        rf"follow (?:us|me|@[\w.]+)(?: on {_NETWORKS}(?:(?:,| and| or| &) {_NETWORKS})*)?",
        rf"follow [@\w.]+(?: [\w.]+){{0,3}} on {_NETWORKS}(?:(?:,| and| or| &) {_NETWORKS})*",
        rf"(?:like|find|join) us on {_NETWORKS}",
        (
            r"(?:folgen sie uns|folge uns|suivez-nous|síguenos|siguenos|sígannos|siga-nos"
            r"|seguici|volg ons|obserwuj nas)"
            rf"(?: (?:auf|sur|en|em|su|op|na|on) {_NETWORKS}(?:(?:,| and| und| et| y| e| i| en) {_NETWORKS})*)?"
        ),
    ),
    "subscribe": (
        # "Subscribe to our channel" in Russian and Ukrainian: "Подписывайтесь на наш
        # канал в Telegram".
        (
            r"(?:подписывайтесь|підписуйтесь|підписуйтеся) на (?:нас|наш [\w-]+(?: [\w-]+)?)"
            r"(?: (?:в|у|на) [\w-]+)?"
        ),
        (
            r"(?:subscribe|sign up|register|join)(?: now| today| here| for free| free)?"
            r"(?: (?:to|for) (?:our |the |my )?(?:[\w'-]+ ){0,3}"
            r"(?:newsletters?|updates|alerts|digest|briefing|emails?|podcast|channel|account))?"
            r"(?: (?:now|today|here|for free))?"
        ),
        (
            r"(?:get|receive) (?:our|the) (?:[\w'-]+ ){0,3}(?:newsletter|updates|alerts|briefing)"
            r"(?: [\w'-]+){0,5}"
        ),
        # A newsletter box's pitch and its small print: "Get the day's top stories in
        # your inbox every morning.", "By signing up, you agree to our privacy policy."
        # A pitch offers and asks nothing: "Have you ever found a scam email in your
        # inbox? Here is how to spot one." is a story's question.
        r"(?:get|receive|have) [^,?]{1,60}\b(?:in|to|into|straight to|delivered to) your inbox\b[^,?]{0,80}",
        r"by (?:signing up|subscribing|registering),? you (?:agree|consent|accept)\b.{0,200}",
        r"newsletter(?: sign[- ]?up)?",
        # A paywall's prompt: "Subscribe now to our weekend edition for the full story."
        (
            r"(?:to (?:read|view|see|continue reading) (?:the|this) (?:full|whole|rest of the)"
            r" (?:story|article),? (?:please )?(?:subscribe|sign in|log in|register"
            r"|become a (?:member|subscriber))|subscribe (?:now )?(?:to|for) .{0,60}\b(?:the )?full"
            r" (?:story|article)|(?:lesen sie|lies) (?:jetzt )?weiter mit)"
            r"\b.{0,160}"
        ),
        # "Pour lire la suite (de cet article), abonnez-vous": the prompt alone or with
        # its call, not "Pour lire la suite du roman, les lecteurs devront attendre 2027."
        (
            r"pour lire la suite(?: de (?:cet |l['’] ?)article)?(?:,? (?:(?:abonnez|connectez|inscrivez"
            r"|identifiez)-vous|découvrez nos offres|souscrivez)\b.{0,120})?"
        ),
        # A paywall's box after the teaser: "Subscribe to continue reading", "This
        # article is for subscribers only. Already a subscriber? Log in", "Get
        # unlimited access for 1 a month", "You have reached your limit of free
        # articles". Whole lines only: "The pool is for members only on Sundays"
        # is no box, nor a sentence that goes on past "subscribers".
        r"subscribe (?:now |today )?to (?:continue|keep) reading(?: (?:this|the) (?:article|story))?",
        (
            r"(?:this|the) (?:article|story|content|page) is (?:only )?(?:available )?(?:exclusively )?"
            r"(?:for|to) (?:paying |our )?(?:subscribers|members)(?: only)?(?:[.!] .{0,120})?"
        ),
        (
            r"already (?:a (?:subscriber|member)|have an account|registered|subscribed)\?"
            r"(?: (?:log|sign) ?in(?: here| now)?)?"
        ),
        r"(?:get|enjoy|unlock|subscribe for) unlimited (?:digital )?access\b[^,]{0,100}",
        r"start (?:your|a) free trial(?: (?:now|today))?",
        (
            # "the" takes a meter's words: "You have read the stories of three
            # families; now meet the fourth." is a feature's sentence.
            r"you(?:'ve| have) (?:reached|read|used) (?:(?:your|all (?:of )?your) (?:limit of )?"
            r"(?:monthly |free |\d+ )*|the (?:limit of (?:monthly |free |\d+ )*|(?:monthly |free |\d+ )+))"
            r"(?:articles?|stories)\b.{0,100}"
        ),
        (
            r"(?:(?:jetzt |zum )?newsletter (?:abonnieren|bestellen|anmelden)|jetzt abonnieren"
            r"|abonnieren|(?:s'|vous )?abonner|abonnez-vous|inscrivez-vous(?: à (?:notre|la) newsletter)?"
            r"|suscríbete|suscríbase|suscribirse|assine|inscreva-se|iscriviti|abboname?ti"
            r"|abonneer(?: je)?|schrijf je in|subskrybuj|zapisz się(?: do newslettera)?)"
            r"(?: (?:now|jetzt|maintenant|ahora|agora|ora|nu|teraz))?"
        ),
    ),
    "comments": (
        r"(?:\d+ )?comments?(?: ?\(\d+\)?)?",
        r"was this (?:article|story|page|information) (?:helpful|useful)\??(?: yes no)?",
        (
            r"(?:leave|post|add|write|view|show|hide|read|load) (?:a |the |all |more )?(?:\d+ )?"
            r"comments?"
        ),
        r"join the (?:conversation|discussion|debate)",
        r"comments? (?:are |is )?(?:closed|disabled)",
        r"be the first to comment",
        r"loading comments",
        (
            r"(?:комментарии|коментарі|تعليقات|التعليقات|תגובות|टिप्पणियां|टिप्पणियाँ|评论|コメント"
            r"|yorumlar|σχόλια|bình luận|댓글)(?: ?\(\d+\)?)?"
        ),
        r"\d+ (?:комментари(?:й|я|ев)|коментар(?:ів|і|я))",
        (
            r"(?:tell us|let us know|we(?:'d| would)? (?:want|like|love) to hear)"
            r" what you think(?: (?:about|of) (?:this|the)"
            r" (?:article|story|post|review))?(?: (?:in|below in) the comments?(?: below)?)?"
        ),
        (
            r"(?:\d+ )?(?:kommentare?|commentaires?|comentarios?|comentários?|commenti"
            r"|komentarze?|reacties?)(?: insgesamt)?"
        ),
        (
            r"(?:keine|aucun|sin|sem|nessun|geen|brak) (?:kommentare|commentaire|comentarios"
            r"|comentários|commento|reacties|komentarzy)"
        ),
        (
            r"(?:kommentar schreiben|kommentieren|laisser un commentaire|deja (?:un|tu) comentario"
            r"|deixe (?:um|seu) comentário|lascia un commento|laat een reactie achter"
            r"|dodaj komentarz|napisz komentarz)"
        ),
    ),
    # A consent banner caught in the text: "We use cookies to improve your
    # experience. By continuing to browse ...".
    "cookies": (
        (
            r"(?:we|this (?:web)?site|our (?:web)?site) uses? cookies(?:[.!]|\b.{0,300}"
            r"\b(?:experience|brows\w*|website|site|analytics|consent|privacy|cookie policy"
            r"|personali[sz]\w*|advertising|ads|traffic)\b.{0,300})"
        ),
        r"(?:accept|reject|manage) (?:all )?cookies(?: settings)?",
    ),
    "navigation": (
        (
            r"(?:back to top|skip to (?:main )?content|(?:previous|next) (?:article|story|post|page)"
            r"|print this (?:article|page)|image|photo|video|close|menu|loading)"
        ),
        # A media player's or a gallery's controls and labels, read as lines of text:
        # "Listen to this article", "Image caption", "Toggle caption", "Play video".
        (
            r"(?:listen to (?:this|the) (?:article|story)|(?:image|media|video) caption,?"
            r"|(?:toggle|hide|show) caption|(?:play|watch) (?:the )?video|enlarge (?:this )?image"
            r"|tap (?:to|for) (?:enlarge|expand|zoom)|(?:view|open|see) (?:the )?(?:full |photo |image )?gallery"
            r"|open (?:image )?in gallery|(?:skip|close) (?:this )?(?:ad|advert|advertisement)"
            r"|(?:read|open|continue) in (?:the )?app)"
        ),
        (
            r"(?:nach oben|zurück nach oben|retour en haut|volver arriba|voltar ao topo|torna su"
            r"|terug naar boven|do góry|schließen|fermer|cerrar|fechar|chiudi|sluiten|zamknij"
            r"|wird geladen|lädt|chargement|cargando|carregando|caricamento|laden|ładowanie"
            r"|bild|foto|menü|bild anzeigen|(?:nächster|vorheriger) artikel"
            r"|article (?:suivant|précédent)|artículo (?:siguiente|anterior))"
        ),
    ),
    "promotion": (
        r"click here(?: (?:to|for) .{1,100})?",
        r"order reprints?",
        r"report an? (?:error|issue|inaccuracy|typo)",
        # "Found a typo? Let us know", "Spotted an error? Select it and press Ctrl+Enter":
        # the question and a call to tell the desk, not a sentence going on.
        (
            r"(?:found|spotted|spot|see|noticed?) an? (?:typo|error|mistake|inaccuracy)"
            r"(?: in (?:this|the|our) (?:article|story|text|page))?\?"
            r"(?: (?:please )?(?:let us know|tell us|report it|contact us|e-?mail us|write to us"
            r"|select it|highlight it|click here)\b.{0,80})?"
        ),
        r"support (?:our|independent|local|quality|public[- ]interest) (?:[\w-]+ )?journalism",
        r"donate(?: now| today)?",
        r"(?:download|get) (?:the|our) (?:[\w'&-]+ ){0,4}app\b.{0,60}",
        (
            r"if you (?:enjoyed|liked|appreciate|value|found) (?:this|our|reading this) "
            r"(?:article|story|post|journalism|reporting|content|piece)\b.{0,300}"
        ),
        r"thanks? (?:you )?for (?:signing up|subscribing)\b.{0,80}",
        r"keep an eye on your inbox\b.{0,80}",
        r"there was an error processing your (?:subscription|request)\b.{0,40}",
        # A form's or a player's message, not a story's sentence about an error:
        # "An error occurred during a routine update, the bank said."
        (
            r"an error (?:has )?occurred(?:[.,!]? (?:please )?(?:try again|reload|refresh)\b.{0,30}"
            r"| while (?:loading|processing|submitting|sending|saving)\b.{0,30})?"
        ),
    ),
    # An archived article's age, shown over its text: "This article is more than 2
    # years old".
    "notice": (
        (
            r"this (?:article|story|piece|content|post|page|report) (?:is|was published)"
            r" (?:more than|over|older than) (?:\d+|an?|one|two|three|four|five|six|seven|eight"
            r"|nine|ten|eleven|twelve) (?:years?|months?|weeks?|days?)(?: old| ago)"
        ),
    ),
    "photo_credit": (
        (
            r"(?:photo|photograph|image|picture|foto|imagem|immagine)s?"
            r"(?: credits?| by| courtesy)? ?: .{1,120}"
        ),
        r"(?:photo |image )?credits?: .{1,120}",
        r"(?:image|photo|media|video) source ?[:,] ?.{1,80}",
        (
            r"(?:bild(?:er)?|bildquelle|bildnachweis|titelbild|beitragsbild"
            r"|crédits? photos?|créditos?|fotografía|zdjęcie|fot\.)"
            r" ?: .{1,120}"
        ),
        r"(?:photo|image|picture) courtesy of .{1,80}",
        # "Photo:" in Russian and Ukrainian, Arabic, Hebrew, Hindi, Chinese, Japanese,
        # Thai, Turkish and Vietnamese: "Фото: ...", "צילום: ...", "图片来源：...".
        (
            r"(?:фото(?:графия)?|иллюстрация|изображение|(?:источник|джерело) фото"
            r"|تصوير|صورة|الصورة|צילום|צילומים|फ\u093c?ोटो|तस्वीर"
            r"|图片(?:来源)?|图源|摄影|写真|画像|撮影|ภาพ(?:ประกอบ)?"
            rf"|{_turkish('fotoğraf|görsel')}|ảnh|nguồn ảnh)"
            r" ?: ?.{1,120}"
        ),
    ),
    # Where a story or a chart's figures come from, as a line of its own: "Source:
    # Reuters", "Источник: ТАСС", "المصدر: ...", "Kaynak: AA", "Quelle: dpa",
    # "Fuente: EFE", "Źródło: PAP", a Chinese repost's
    # original title "原标题：...". A few words of names only (FragmentMatcher.match
    # keeps the line as text if a lower-case word follows the colon): "Source: a
    # diplomat said the talks had failed" is a sentence.
    "source": (
        (
            r"(?:sources?|источники?|джерела?|المصدر|المصادر|مصدر|המקור|מקור|स्रोत|出典"
            rf"|{_turkish('kaynak(?:lar)?')}|nguồn"
            # The word in other languages of Latin, Greek and Cyrillic script.
            r"|quellen?|fuentes?|fontes?|źródła|źródło|bronnen|bron|kilder?|källor|källa"
            r"|lähteet|lähde|zdroje?|forrás(?:ok)?|surs[ae]|izvori?|извори?|πηγές|πηγή)"
            r" ?: ?[^\W_][\w.,&'’()/ -]{0,79}"
        ),
        r"原标题 ?: ?.{1,120}",
    ),
    "copyright": (
        r"© ?.{0,160}",
        # "(c) 2026 Example Press ...", "(c) Example Press": not the third clause of a
        # list, "(c) The tenant shall not sublet the flat without consent."
        r"\(c\) ?(?:(?:19|20)\d\d\b.{0,160}|\S+(?: \S+){0,5})",
        # "Copyright 2026 ...", "Copyright by ...", "copyright Example Press 2026 ...",
        # but not a sentence about copyright ("Copyright law was at the heart...").
        r"copyright (?:©|\(c\)|\d{4}|by\b|[\w&.,' -]{1,60}\b(?:19|20)\d\d\b).{0,160}",
        r".{0,160}\ball rights reserved\b.{0,80}",
        # A reprint licence: "This copy is for your personal, non-commercial use only."
        r".{0,100}\bfor (?:your )?personal,? non-?commercial use only\b.{0,300}",
        (
            r".{0,160}\b(?:alle rechte vorbehalten|tous droits réservés|todos los derechos reservados"
            r"|todos os direitos reservados|tutti i diritti riservati|alle rechten voorbehouden"
            r"|wszelkie prawa zastrzeżone|materiał chroniony prawem autorskim)\b.{0,80}"
        ),
    ),
    "contact": (
        # Not a reader's practical line closing a story, the address followed by what
        # to write for: "Contact the organisers at hello@fair.test for details.",
        # "Email bookings@theatre.test to reserve a seat."
        (
            r"(?:(?:have|got) (?:a |an )?(?:story|news tip|tip|question)(?: for us)?\? )?"
            r"(?:write to|e-?mail|contact|send (?:news )?tips to|reach) .{0,80}\b[\w.+-]+@[\w-]+\.[\w.]+\b"
            r"(?!.{0,20}?\b(?:for (?:more )?(?:details|information|info|tickets|bookings|reservations)"
            r"|to (?:book|reserve|register|apply|volunteer|take part|enter|sign up|buy|order))\b).{0,80}"
        ),
    ),
    "url_only": (
        # Not a reader's practical line closing a story, where to find out more or
        # buy a ticket: "Tickets: www.fair.test", "Weitere Informationen: www.stadt.test".
        (
            r"(?!(?:(?:more|further) )?(?:info|information|details|tickets|registration|bookings"
            r"|(?:weitere )?informationen|infos?|anmeldung|karten|(?:más )?información|inscripciones"
            r"|(?:plus d'|more )?informations|renseignements|billets|réservations|(?:mais )?informações"
            r"|ingressos|(?:maggiori )?informazioni|biglietti|(?:meer )?informatie|kaarten"
            r"|(?:więcej )?informacji|informacje|bilety) ?: )"
            r"(?:[\w ]{1,24} ?: ?)?(?:https?://|www\.)\S+"
        ),
    ),
    "reading_time": (
        r"\d+[ -]min(?:ute)?s?(?: read| reading| de leitura| di lettura| de lectura)?",
        # A number in words is a label's with "read" only: "Ten minutes." alone is
        # a story's sentence ("Ten minutes. That was all the warning they had.").
        r"(?:one|two|three|four|five|ten)[ -]min(?:ute)?s? read(?:ing)?",
        (
            r"(?:reading time|tempo de leitura|tempo di lettura|tiempo de lectura|lesezeit"
            r"|temps de lecture|czas czytania|leestijd) ?:? ?(?:ca\. )?\d+ ?min(?:ute[ns]?|s|\.)?"
        ),
        r"\d+ ?min(?:uten|\.)? (?:lesezeit|de lecture|czytania|leestijd)",
    ),
    "tags": (
        (
            r"(?:tags?|tagged(?: with)?|topics|keywords|filed under|tópicos|etiquetas|argomenti"
            # Not "category": "Category: Best director" is an award list's text.
            r"|schlagw(?:ö|o)rt(?:e|er)?|stichw(?:ö|o)rt(?:e|er)?|themen|mots-clés|étiquettes|temas|tagi|tematy"
            r"|trefwoorden)"
            r"(?: ?: ?.{1,300})?"
        ),
        # And in Russian, Ukrainian, Arabic, Hebrew, Hindi, Chinese, Japanese, Thai,
        # Turkish and Vietnamese: "Теги: ...", "Etiketler: ...", "标签：...".
        (
            r"(?:теги|тэги|метки|ключевые слова|мітки|теґи|ключові слова"
            r"|الوسوم|وسوم|الكلمات المفتاحية|كلمات مفتاحية|תגיות|टैग|टैग्स"
            r"|标签|关键词|关键字|タグ|キーワード|แท็ก|คำค้น"
            rf"|{_turkish('etiketler|anahtar kelimeler')}|từ khóa|thẻ)"
            r"(?: ?: ?.{1,300})?"
        ),
    ),
    "bio": (
        (
            # "<Name Surname> is a <...> reporter ...": a name of two to five words.
            # Under "the", not a role someone takes or held first, last or alone:
            # "Sarah Klein is the new editor of the Courier", "Ann Lee was the
            # paper's first photographer" are a story's news, not an author's box.
            r"[\w.'’-]+(?: [\w.'’-]+){1,4} (?:is|was) (?:an? (?:[\w'’,&/-]+ ){0,8}|the "
            r"(?:(?!(?:new|newly|first|last|late|only|then|next|incoming|outgoing)\b)[\w'’,&/-]+ ){0,8})"
            r"(?:writer|reporter|"
            r"editor|correspondent|journalist|columnist|contributor|producer|author|curator|"
            r"critic|analyst|host|freelancer|intern|photographer|fellow)(?!['’])\b.{0,800}"
        ),
    ),
    "byline": (
        # Not a subhead or a line of text that opens so: "By the numbers", "By
        # contrast", "Por último", "Par ailleurs", a range "Von 10 bis 18 Uhr".
        (
            r"(?:by|por|di|oleh|von|par)(?! (?:the numbers|the way|contrast|comparison|far|then|now"
            r"|ejemplo|último|fin|supuesto|cierto|exemple|ailleurs|contre|wegen)$)(?!.* bis )"
            r" [\w.'’-]+(?: [\w.'’-]+){0,4}(?:,? (?:and|e|y|dan) [\w.'’-]+(?: [\w.'’-]+){0,3})?"
        ),
        r"(?:published|posted|publicado|pubblicato|diterbitkan) (?:by|por|da|oleh) [\w.'’ -]{2,60}",
        # A Chinese story's editor, reporter and source lines: "责任编辑：王明".
        r"(?:责任编辑|责编|编辑|记者|通讯员|作者|来源) ?: ?[\w.·・ ]{1,30}",
    ),
}

# Classes whose patterns would also fit real sentences if they stood anywhere; they
# only count as furniture at the start or the end of a text (see the cleaner).
EDGE_ONLY = frozenset({"contact", "byline", "bio", "url_only", "timestamp"})

# No pattern matches more than this many characters (the longest, a bio line, stays
# well under it); longer paragraphs are text, and skip the patterns.
FRAGMENT_MAX_CHARS = 800

# CPU a user's pattern may take on one paragraph (of at most FRAGMENT_MAX_CHARS),
# and all of them on one page. A sound pattern takes microseconds on a paragraph;
# one that takes 50 ms backtracks, and would take minutes on a longer one. The
# page's bound keeps a page far under the crawl's NEWSCRAWL_EXTRACT_TIMEOUT (8 s
# by default), so that it is not lost for a pattern's sake. CPU time, as `regex`
# counts a timeout: a busy machine does not make a sound pattern run out of it.
USER_PATTERN_SECONDS = 0.05
USER_PATTERNS_PAGE_SECONDS = 1.0

# Decorative characters around a label: "» Read more", "Related:", "More ›", "•"
# (after normalisation, which has already turned guillemets into '"').
_LEADING_DECORATION = " \t\n»›>|•·*#-\"'(["
_TRAILING_DECORATION = " \t\n:.…»›>|•·*-\"')]"
_HAS_WORD = re.compile(r"[^\W_]")
# A built-in pattern `.{0,n}<phrase>.{0,m}` takes a line that holds its phrase
# anywhere ("Example Press 2026. All rights reserved."), and tried every place of
# every line for it: three such patterns were half of the built-ins' time. One
# search for their phrases tells the lines that may match them from the rest,
# which are matched without them (0.68 against 0.50 ms a page on the shared pages).
_ANYWHERE = re.compile(r"\.\{0,\d+\}(?P<phrase>\\b.*\\b)\.\{0,\d+\}")
_SENTENCE_END = re.compile(r"[^\W\d_]{2,}[.!?][\"')\]]*\s*$")
_MORE_ON = ("more from ", "more in ", "more on ")
# Lower-case words a name may hold: "Anna van der Berg", "Ann Writer and Joe Roe".
_NAME_PARTICLES = frozenset({
    "de", "da", "di", "del", "della", "dos", "das", "du", "van", "von", "der", "den",
    "le", "la", "bin", "al", "and", "und", "y", "e", "et",
})  # fmt: skip


def _reads_as_sentence(paragraph: str, key: str) -> bool:
    """Whether a line that opens like a byline ("By ...", "Por ...") is a sentence:
    it ends in a full stop after a word (in `key`, its comparison key, where
    curly quotes are straight) and holds a lower-case word that is no name's
    ("By then it was too late.", "Por supuesto.", "Par exemple."), where a
    byline is names ("By Ann Writer.", "Von Anna Schreiber.", "By AP.")."""
    if not _SENTENCE_END.search(key):
        return False
    tail = paragraph.split()[1:]
    return any(
        word[:1].islower() and word.strip(".,;:!?").lower() not in _NAME_PARTICLES for word in tail
    )


def _names_nobody(paragraph: str) -> bool:
    """Whether a line that opens like a byline goes on in one lower-case word, no
    name's particle and no newsroom's: a heading of a guide ("By train", "By
    bike", "Par avion"), where a byline names someone ("By Ann Writer", "BY AP",
    "By staff"). Scripts without capitals have no lower-case words: their lines
    stay bylines."""
    tail = paragraph.split()[1:]
    if len(tail) != 1:
        return False
    word = tail[0].strip(".,;:!?")
    return word[:1].islower() and word not in _NAME_PARTICLES and word not in _NEWSROOM_WORDS


# Lower-case words a byline may give for the newsroom rather than a name.
_NEWSROOM_WORDS = frozenset({"staff", "agencies", "wire", "wires", "correspondents", "reporters"})


# Lower-case words a source's name may hold: "Office for National Statistics", and
# the news agencies that write their names in lower case ("Quelle: dpa").
_SOURCE_NAME_WORDS = _NAME_PARTICLES | {
    "of", "for", "the", "on", "in", "at", "и", "і", "ve", "và",
    "dpa", "epd", "kna", "apa", "sda", "ddp", "dapd",
}  # fmt: skip


def _names_more_than_a_source(paragraph: str) -> bool:
    """Whether a line that opens like a source line ("Source: ...") goes on in a
    lower-case word that is no name's ("Source: a diplomat close to the talks",
    "Источник: власти города"), where a source is names ("Source: Reuters",
    "Источник: РИА Новости"). Scripts without capitals have no lower-case words:
    their lines are told by the pattern's few words alone."""
    _, _, named = unicodedata.normalize("NFKC", paragraph).partition(":")
    return any(
        word[:1].islower() and word.strip(".,;:!?()").lower() not in _SOURCE_NAME_WORDS
        for word in named.split()
    )


_COPYRIGHT_THEN = re.compile(r"\W*copyright (\S+)", re.IGNORECASE)
_COPYRIGHT_MARKS = re.compile(r"©|\(c\)|\brights reserved\b", re.IGNORECASE)


# A clause's number opening a line: "5.1", "12.", "3)", "(b)"; not a year.
_CLAUSE_NUMBER = re.compile(r"\s*(?:\d{1,2}(?:\.\d{1,2})*[.)]?|\([a-z0-9]{1,3}\))\s+\w")


def _tells_of_copyright(paragraph: str) -> bool:
    """Whether a line that opens like a copyright notice ("Copyright Example Press
    2026", which the pattern takes with a year within 60 characters) is a sentence
    about copyright: the word after "Copyright" is lower case, and no owner's
    name ("Copyright claims rose sharply in 2023, the office said."), and the
    line has no mark of a notice (©, "(c)", "all rights reserved")."""
    found = _COPYRIGHT_THEN.match(unicodedata.normalize("NFKC", paragraph))
    if found is None or _COPYRIGHT_MARKS.search(paragraph):
        return False
    word = found.group(1).strip(".,;:!?()")
    return word[:1].islower() and word.lower() not in _SOURCE_NAME_WORDS | {"by"}


class InvalidPatternError(ValueError):
    """A user-supplied fragment pattern is not a valid regular expression."""


# What a message shows of a user's pattern: enough to find it in the file, and one
# line to read however long the pattern (a 6 KB one made a 6 KB error line).
SHOWN_PATTERN_CHARS = 100


def shown_pattern(source: str) -> str:
    """`source` as a message shows it: quoted, its start only when it is long."""
    if len(source) <= SHOWN_PATTERN_CHARS:
        return repr(source)
    return f"{source[:SHOWN_PATTERN_CHARS]!r}... ({len(source):,} characters)"


def compile_user_pattern(source: str) -> regex.Pattern[str]:
    """A user's fragment pattern as FragmentMatcher applies it (InvalidPatternError
    if it is none): with `regex`, case-insensitive, in its `re`-compatible version."""
    try:
        return regex.compile(source, regex.IGNORECASE | regex.VERSION0)
    except (regex.error, OverflowError, RecursionError, ValueError) as exc:
        raise InvalidPatternError(
            f"invalid fragment pattern {shown_pattern(source)}: {exc}"
        ) from None


@dataclass
class PatternClock:
    """One page's CPU time for the user's patterns, and the patterns that ran out
    of it (in the order they did): those are not applied to the rest of the page."""

    left: float = USER_PATTERNS_PAGE_SECONDS
    timed_out: dict[str, None] = field(default_factory=dict)


@dataclass(frozen=True)
class FragmentMatcher:
    """Decides whether a whole paragraph is a boilerplate fragment, and of which class."""

    # One expression, a named group per class: a single match says which class fits.
    pattern: re.Pattern[str]
    # The user's patterns (class "user"), each on its own: timed one by one, and
    # none can break another (a group name, a back reference, a global flag).
    user: tuple[tuple[str, regex.Pattern[str]], ...] = ()
    # The phrases of the built-ins found anywhere (_ANYWHERE), and the built-ins
    # without those patterns: what a line holding none of the phrases is matched
    # against, with the same result (the patterns left out cannot match it).
    phrases: re.Pattern[str] | None = None
    common: re.Pattern[str] | None = None

    @classmethod
    def build(cls, extra_patterns: Iterable[str] = ()) -> FragmentMatcher:
        """Combine the built-in patterns with `extra_patterns` from the user (class "user")."""
        user = [(extra, compile_user_pattern(extra)) for extra in dict.fromkeys(extra_patterns)]
        phrases = [
            found["phrase"]
            for group in BUILTIN_FRAGMENT_PATTERNS.values()
            for source in group
            if (found := _ANYWHERE.fullmatch(source))
        ]
        common = {
            name: tuple(source for source in group if not _ANYWHERE.fullmatch(source))
            for name, group in BUILTIN_FRAGMENT_PATTERNS.items()
        }
        return cls(
            _combined(BUILTIN_FRAGMENT_PATTERNS),
            tuple(user),
            re.compile("|".join(f"(?:{phrase})" for phrase in phrases), re.IGNORECASE)
            if phrases
            else None,
            _combined(common),
        )

    def match(self, paragraph: str, clock: PatternClock | None = None) -> str | None:
        """The class of furniture `paragraph` is, as a whole, or None if it is text.
        The user's patterns take their time from `clock`, the page's (a paragraph
        alone has the time of a page)."""
        if len(paragraph) > FRAGMENT_MAX_CHARS:
            return None
        key = comparison_key(paragraph)
        label = key.lstrip(_LEADING_DECORATION).rstrip(_TRAILING_DECORATION)
        if not _HAS_WORD.search(label):
            # Only punctuation, symbols or nothing: a separator, an emptied list item.
            return "no_words"
        if is_timestamp(label) and not is_period(label):
            return "timestamp"
        if clock is None:
            clock = PatternClock()
        # A phrase found in the label is found in the key: it opens and closes on a
        # word boundary (\b), and the characters of decoration are no word's.
        builtin = self.pattern
        if self.common is not None and (self.phrases is None or not self.phrases.search(key)):
            builtin = self.common
        # The label without decoration, or the paragraph as written: a user pattern
        # may well include the brackets the label loses. The built-ins first.
        kind = self._kind(label, clock, builtin) or (
            self._kind(key, clock, builtin) if key != label else None
        )
        if kind == "byline" and (_reads_as_sentence(paragraph, key) or _names_nobody(paragraph)):
            return None
        if kind == "source" and _names_more_than_a_source(paragraph):
            return None
        if kind == "copyright" and (
            _tells_of_copyright(paragraph)
            or (_CLAUSE_NUMBER.match(paragraph) and _SENTENCE_END.search(key))
        ):
            # A numbered clause of terms or a licence ("5.1 All rights in the
            # design are reserved by ...") is its text (helper-119).
            return None
        if kind == "tags" and ":" in label and _SENTENCE_END.search(key):
            # "Themen: Die Rente mit 70, der Streit um das Bürgergeld und die Lage
            # in Nahost.": a preview's agenda, a sentence; a list of tags has no
            # full stop after its last word.
            return None
        if kind == "related" and label.startswith(_MORE_ON) and _SENTENCE_END.search(key):
            # "More on that later.", "More in a moment.": a live blog's or a
            # column's sentence; a link's label ("More on the budget") has no full stop.
            return None
        return kind

    def _kind(self, text: str, clock: PatternClock, builtin: re.Pattern[str]) -> str | None:
        found = builtin.fullmatch(text)
        if found is not None:
            return found.lastgroup
        started = None  # read once a pattern, not twice (0.6 us a reading)
        for source, compiled in self.user:
            if source in clock.timed_out:
                continue
            if clock.left <= 0:  # the page's time is spent: not tried on the rest
                clock.timed_out[source] = None
                continue
            if started is None:
                started = time.process_time()
            try:
                user = compiled.fullmatch(text, timeout=min(USER_PATTERN_SECONDS, clock.left))
            except TimeoutError:
                user = None
                clock.timed_out[source] = None
            ended = time.process_time()
            clock.left -= ended - started
            started = ended
            if user is not None:
                return "user"
        return None

    def matches(self, paragraph: str) -> bool:
        """True if `paragraph`, as a whole, is page furniture."""
        return self.match(paragraph) is not None


def _combined(groups: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    """One expression of the classes `groups` gives patterns of, in their order."""
    return re.compile(
        "|".join(
            f"(?P<{name}>" + "|".join(f"(?:{source})" for source in group) + ")"
            for name, group in groups.items()
            if group
        ),
        re.IGNORECASE,
    )


def timeout_warning(site: str | None, pattern: str, where: str) -> str:
    """One line: `pattern` (of `site`) ran out of time on the page `where`."""
    of = f"site {site}: " if site else ""
    return (
        f"{of}fragment pattern {shown_pattern(pattern)} ran out of time on {where}"
        f" ({USER_PATTERN_SECONDS:g} s of CPU a paragraph, {USER_PATTERNS_PAGE_SECONDS:g} s a page):"
        " not applied there, the text kept; it may nest repetitions, as (\\w+\\s?)+ does"
    )


class PatternTimeouts:
    """Pages on which a user's pattern ran out of time, counted by site and pattern.
    `add` gives the warnings to show: one line per site and pattern, the first time."""

    def __init__(self) -> None:
        self.pages: Counter[tuple[str, str]] = Counter()
        self.total = 0  # pages on which any pattern ran out of time

    def add(self, site: str | None, where: str, patterns: Iterable[str]) -> list[str]:
        warnings = []
        patterns = tuple(patterns)
        for pattern in patterns:
            if (site or "", pattern) not in self.pages:
                warnings.append(timeout_warning(site, pattern, where))
            self.pages[site or "", pattern] += 1
        self.total += bool(patterns)
        return warnings
