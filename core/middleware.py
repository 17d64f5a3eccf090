from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user chose another language with the switcher (the language cookie).

    The browser's Accept-Language is ignored on purpose: staff machines with an English browser
    should still get the Chinese UI by default.
    """

    def process_request(self, request):  # type: ignore[no-untyped-def]
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
