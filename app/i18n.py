"""Every text the server produces, in Danish and English."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("da", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "not_found": {"da": "Findes ikke.", "en": "Not found."},
    "invalid_credentials": {
        "da": "Forkert e-mail eller adgangskode.",
        "en": "Wrong email or password.",
    },
    "too_many_attempts": {
        "da": "For mange mislykkede forsøg. Prøv igen om {minutes} min.",
        "en": "Too many failed attempts. Try again in {minutes} min.",
    },
    "unauthenticated": {"da": "Du er ikke logget ind.", "en": "You are not signed in."},
    "forbidden": {"da": "Det har du ikke adgang til.", "en": "You are not allowed to do that."},
    "required": {"da": "Skal udfyldes.", "en": "This field is required."},
    "too_long": {
        "da": "Må højst være {max} tegn.",
        "en": "Must be at most {max} characters.",
    },
    "password_too_short": {
        "da": "Adgangskoden skal være mindst {min} tegn.",
        "en": "The password must be at least {min} characters.",
    },
    "wrong_password": {
        "da": "Den nuværende adgangskode er forkert.",
        "en": "The current password is wrong.",
    },
    "invalid_email": {"da": "Ugyldig e-mailadresse.", "en": "Invalid email address."},
    "invalid_language": {
        "da": "Sproget skal være da eller en.",
        "en": "Language must be da or en.",
    },
    "birth_date_future": {
        "da": "Fødselsdatoen kan ikke ligge i fremtiden.",
        "en": "The birth date cannot be in the future.",
    },
    "period_order": {
        "da": "Slutdatoen skal ligge efter startdatoen.",
        "en": "The end date must be after the start date.",
    },
    "invalid_access": {
        "da": "Adgang skal være fuld, kun information eller ingen.",
        "en": "Access must be full, information only or none.",
    },
    "closed_day_exists": {"da": "Dagen er allerede lukket.", "en": "That day is already closed."},
    "invalid_phone": {"da": "Ugyldigt telefonnummer.", "en": "Invalid phone number."},
    "invalid_absence_kind": {
        "da": "Fravær skal være sygdom, ferie eller andet.",
        "en": "Absence must be sick, vacation or other.",
    },
    "absence_overlaps": {
        "da": "Der er allerede registreret fravær i perioden.",
        "en": "An absence is already registered in that period.",
    },
    "absence_too_far_back": {
        "da": "Fravær kan højst registreres {days} dage tilbage.",
        "en": "Absence can be registered at most {days} days back.",
    },
    "absence_not_open": {
        "da": "Kun en åben sygemelding kan afsluttes.",
        "en": "Only an open sickness can be ended.",
    },
    "group_inactive": {"da": "Gruppen er lukket.", "en": "The group is closed."},
    "group_has_children": {
        "da": "Gruppen har stadig {count} børn. Flyt dem først.",
        "en": "The group still has {count} children. Move them first.",
    },
    "duplicate_name": {"da": "Navnet er allerede i brug.", "en": "The name is already in use."},
    "already_member": {
        "da": "Personen er allerede tilknyttet.",
        "en": "This person is already linked.",
    },
    "invalid_timezone": {"da": "Ukendt tidszone.", "en": "Unknown time zone."},
    "invalid_opening_hours": {
        "da": "Åbningstider skal være TT:MM, og lukketid efter åbningstid.",
        "en": "Opening hours must be HH:MM, closing after opening.",
    },
    "invalid_setting": {"da": "Ugyldig indstilling.", "en": "Invalid setting."},
    "setting_out_of_range": {
        "da": "Skal være mellem {low} og {high}.",
        "en": "Must be between {low} and {high}.",
    },
    "file_empty": {"da": "Filen er tom.", "en": "The file is empty."},
    "file_too_large": {
        "da": "Filen må højst fylde {max_mb} MB.",
        "en": "The file may be at most {max_mb} MB.",
    },
    "not_an_image": {
        "da": "Filen er ikke et billede, der kan åbnes (JPEG, PNG, WebP eller HEIC).",
        "en": "The file is not an image that can be opened (JPEG, PNG, WebP or HEIC).",
    },
    "image_too_many_pixels": {
        "da": "Billedet må højst have {megapixels} megapixel.",
        "en": "The image may have at most {megapixels} megapixels.",
    },
    "file_type_mismatch": {
        "da": "Filens indhold passer ikke til dens navn.",
        "en": "The file's content does not match its name.",
    },
    "unsupported_file_type": {
        "da": "Den filtype kan ikke bruges her (PDF, billeder og almindelige kontordokumenter).",
        "en": "That file type cannot be used here (PDF, images and common office documents).",
    },
    "unknown_upload_purpose": {
        "da": "Ukendt formål med filen.",
        "en": "Unknown purpose of the file.",
    },
    "invalid_page_size": {
        "da": "first skal være mellem 0 og {max}.",
        "en": "first must be between 0 and {max}.",
    },
    "invalid_cursor": {"da": "Ugyldig cursor.", "en": "Invalid cursor."},
    "message_empty": {"da": "Beskeden er tom.", "en": "The message is empty."},
    "message_too_long": {
        "da": "Beskeden er for lang: {length} tegn, højst {max}.",
        "en": "The message is too long: {length} characters, at most {max}.",
    },
    "recipients_required": {
        "da": "Vælg mindst én modtager.",
        "en": "Choose at least one recipient.",
    },
    "recipient_no_access": {
        "da": "Den forælder kan ikke modtage denne besked om barnet.",
        "en": "That guardian cannot receive this message about the child.",
    },
    "child_without_guardians": {
        "da": "Barnet har ingen forældre, der kan modtage beskeden.",
        "en": "The child has no guardians who can receive the message.",
    },
    "guardians_may_not_message_guardians": {
        "da": "Institutionen tillader ikke beskeder mellem forældre.",
        "en": "The institution does not allow messages between guardians.",
    },
    "thread_left": {
        "da": "Du har forladt samtalen.",
        "en": "You have left this thread.",
    },
    "edit_window_passed": {
        "da": "Beskeder kan kun rettes eller slettes de første {minutes} minutter.",
        "en": "Messages can be edited or deleted only during the first {minutes} minutes.",
    },
    "sensitive_not_forwarded": {
        "da": "Beskeder i en følsom samtale kan ikke videresendes.",
        "en": "Messages of a sensitive thread cannot be forwarded.",
    },
    "cannot_leave_shared_inbox": {
        "da": "Samtaler i en fællespostkasse kan arkiveres, ikke forlades.",
        "en": "Threads of a shared inbox can be archived, not left.",
    },
    "too_many_attachments": {
        "da": "Højst {max} vedhæftede filer pr. besked.",
        "en": "At most {max} attachments per message.",
    },
    "audience_institution": {"da": "Alle forældre", "en": "All guardians"},
    "audience_groups": {"da": "Forældre i {names}", "en": "Guardians of {names}"},
    "shared_inbox": {"da": "Fællespostkasse", "en": "Shared inbox"},
    "internal_error": {
        "da": "Der opstod en uventet fejl (reference {request_id}).",
        "en": "An unexpected error occurred (reference {request_id}).",
    },
}


def translate(key: str, language: str, **params: Any) -> str:
    texts = MESSAGES.get(key)
    if texts is None:
        return key
    text = texts.get(language) or texts["en"]
    return text.format(**params) if params else text
