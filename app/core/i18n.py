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
    "invalid_characters": {
        "da": "Teksten indeholder tegn, der ikke er tilladt.",
        "en": "The text contains characters that are not allowed.",
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
    "medication_consent_not_in_force": {
        "da": "Medicinsamtykket gælder ikke den dag (uden for perioden eller trukket tilbage).",
        "en": "The medication consent does not cover that day (outside its period or withdrawn).",
    },
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
    # The yearly move-up and leaving (issue 16).
    "move_date_not_future": {
        "da": "Datoen skal ligge efter i dag.",
        "en": "The date must be after today.",
    },
    "move_already_in_group": {
        "da": "Barnet går allerede i den gruppe.",
        "en": "The child is already in that group.",
    },
    "move_already_planned": {
        "da": "Barnet har allerede en anden plan den dag. Fortryd den først.",
        "en": "The child already has another plan on that day. Undo it first.",
    },
    "move_child_twice": {
        "da": "Barnet står der to gange.",
        "en": "The child is listed twice.",
    },
    "move_no_longer_cancellable": {
        "da": "Planen kan kun fortrydes før dagen.",
        "en": "A plan can only be undone before its day.",
    },
    "move_one_cut_off": {
        "da": "Angiv enten en fødselsdato eller en alder og en dato.",
        "en": "Give either a birth date or an age and a date.",
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
    "closes_before_opening": {
        "da": "Institutionen åbner {opens}: luk hele dagen i stedet for at lukke før åbning.",
        "en": "The institution opens at {opens}: close the whole day instead.",
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
    "audience_institution": {"da": "Alle forældre", "en": "All guardians"},
    "audience_groups": {"da": "Forældre i {names}", "en": "Guardians of {names}"},
    "shared_inbox": {"da": "Fællespostkasse", "en": "Shared inbox"},
    "due_needs_confirmation": {
        "da": "En svarfrist kræver, at opslaget skal bekræftes.",
        "en": "A due date needs the announcement to ask for confirmation.",
    },
    "due_in_past": {
        "da": "Svarfristen kan ikke ligge i fortiden.",
        "en": "The due date cannot be in the past.",
    },
    "too_many_attachments": {
        "da": "Højst {max} vedhæftede filer.",
        "en": "At most {max} attachments.",
    },
    "children_refused": {
        "da": "Det kunne ikke gøres for {count} af børnene; intet er gemt for nogen af dem.",
        "en": "It could not be done for {count} of the children; nothing was saved for any.",
    },
    "one_child_or_siblings": {
        "da": "Angiv enten ét barn eller en liste af søskende.",
        "en": "Give either one child or a list of siblings.",
    },
    "too_many_siblings": {
        "da": "Højst {max} børn på én gang.",
        "en": "At most {max} children at once.",
    },
    "confirmation_needs_custody": {
        "da": "Kun en forælder med forældremyndighed kan bekræfte opslaget for barnet.",
        "en": "Only a guardian with custody can confirm this announcement for the child.",
    },
    "confirmation_not_requested": {
        "da": "Opslaget skal ikke bekræftes.",
        "en": "This announcement does not ask for confirmation.",
    },
    "quiet_hours_empty": {
        "da": "Stille timer skal starte og slutte på forskellige tidspunkter.",
        "en": "Quiet hours must start and end at different times.",
    },
    "push_title_announcement": {
        "da": "Nyt opslag fra {sender}",
        "en": "New announcement from {sender}",
    },
    "push_title_announcement_reminder": {
        "da": "Husk at bekræfte opslaget fra {sender} (frist i morgen)",
        "en": "Please confirm the announcement from {sender} (due tomorrow)",
    },
    "push_title_message": {"da": "Ny besked fra {sender}", "en": "New message from {sender}"},
    "push_title_incident": {
        "da": "Hændelse i dag: {sender} har skrevet",
        "en": "An incident today: {sender} wrote",
    },
    "push_title_incident_corrected": {
        "da": "Hændelsen er rettet af {sender}",
        "en": "The incident was updated by {sender}",
    },
    "push_title_sent_home": {
        "da": "Dit barn skal hentes: {sender} har skrevet",
        "en": "Your child needs picking up: {sender} wrote",
    },
    "push_title_pickup_companion_request": {
        "da": "Må børnene følges hjem? Spørgsmål fra {sender}",
        "en": "May the children go home together? Asked by {sender}",
    },
    "push_title_pickup_companion_answer": {
        "da": "Svar om at følges hjem fra {sender}",
        "en": "Answer about going home together from {sender}",
    },
    "push_body_hidden": {
        "da": "Åbn Seddel for at læse den.",
        "en": "Open Seddel to read it.",
    },
    "email_subject": {"da": "Seddel: {count} nye", "en": "Seddel: {count} new"},
    "email_greeting": {"da": "Hej {name}", "en": "Hello {name}"},
    "email_item_announcement": {
        "da": "- Opslag fra {sender}: {link}",
        "en": "- Announcement from {sender}: {link}",
    },
    "email_item_announcement_reminder": {
        "da": "- Påmindelse: bekræft opslaget fra {sender}: {link}",
        "en": "- Reminder: confirm the announcement from {sender}: {link}",
    },
    "email_item_message": {
        "da": "- Besked fra {sender}: {link}",
        "en": "- Message from {sender}: {link}",
    },
    "email_item_incident": {
        "da": "- Hændelse, skrevet af {sender}: {link}",
        "en": "- Incident, written by {sender}: {link}",
    },
    "email_item_incident_corrected": {
        "da": "- Hændelse rettet af {sender}: {link}",
        "en": "- Incident updated by {sender}: {link}",
    },
    "email_item_sent_home": {
        "da": "- Dit barn skulle hentes, skrevet af {sender}: {link}",
        "en": "- Your child needed picking up, written by {sender}: {link}",
    },
    "email_item_pickup_companion_request": {
        "da": "- Spørgsmål om at følges hjem fra {sender}: {link}",
        "en": "- Request to go home together from {sender}: {link}",
    },
    "email_item_pickup_companion_answer": {
        "da": "- Svar om at følges hjem fra {sender}: {link}",
        "en": "- Answer about going home together from {sender}: {link}",
    },
    "email_footer": {
        "da": "Log ind i Seddel for at læse dem. Indholdet sendes ikke med e-mail.",
        "en": "Sign in to Seddel to read them. The content is never sent by e-mail.",
    },
    "invalid_consent_level": {
        "da": "Samtykke skal være ingen, kun egne forældre eller gruppen.",
        "en": "Consent must be none, own guardians only or the group.",
    },
    "photo_consent_none": {
        "da": "Der er ikke samtykke til billeder af {name}.",
        "en": "There is no consent to photos of {name}.",
    },
    "too_many_children": {
        "da": "Højst {max} børn på et billede.",
        "en": "At most {max} children on one photo.",
    },
    "photo_date_future": {
        "da": "Billedets dato kan ikke ligge i fremtiden.",
        "en": "The photo's date cannot be in the future.",
    },
    "album_today": {"da": "I dag i {group}", "en": "Today in {group}"},
    "album_day": {"da": "{group}, {day}", "en": "{group}, {day}"},
    "child_not_in_group": {
        "da": "Barnet går ikke i gruppen.",
        "en": "The child is not in the group.",
    },
    "internal_error": {
        "da": "Der opstod en uventet fejl (reference {request_id}).",
        "en": "An unexpected error occurred (reference {request_id}).",
    },
    # daybook
    "invalid_entry_kind": {"da": "Ukendt slags notat.", "en": "Unknown kind of entry."},
    "unknown_entry_detail": {
        "da": "Feltet hører ikke til denne slags notat.",
        "en": "This field does not belong to this kind of entry.",
    },
    "invalid_entry_value": {"da": "Ugyldig værdi.", "en": "Invalid value."},
    "entry_day_in_future": {
        "da": "Dagen kan ikke ligge i fremtiden.",
        "en": "The day cannot be in the future.",
    },
    "time_without_zone": {
        "da": "Tidspunktet skal have en tidszone.",
        "en": "The time must carry a time zone.",
    },
    "time_not_on_day": {
        "da": "Tidspunktet skal ligge på dagen {day}.",
        "en": "The time must lie on the day {day}.",
    },
    "time_in_future": {
        "da": "Tidspunktet kan ikke ligge i fremtiden.",
        "en": "The time cannot be in the future.",
    },
    "sleep_ends_before_start": {
        "da": "Søvnen kan ikke slutte, før den begynder.",
        "en": "The sleep cannot end before it starts.",
    },
    "entry_deleted": {"da": "Notatet er slettet.", "en": "The entry was deleted."},
    "entry_kind_fixed": {
        "da": "Et notats slags kan ikke ændres; slet det og skriv et nyt.",
        "en": "An entry's kind cannot change; delete it and record a new one.",
    },
    "only_guardians_confirm": {
        "da": "Kun barnets forældre bekræfter en hændelse.",
        "en": "Only the child's guardians confirm an incident.",
    },
    "range_too_long": {
        "da": "Højst {days} dage ad gangen.",
        "en": "At most {days} days at a time.",
    },
    "bulk_kind_not_allowed": {
        "da": "En hændelse skrives for det enkelte barn, ikke for hele gruppen.",
        "en": "An incident is recorded for one child, not for the whole group.",
    },
    "too_many": {"da": "Højst {max}.", "en": "At most {max}."},
    "child_named_twice": {
        "da": "Barnet er nævnt mere end én gang.",
        "en": "The child is named more than once.",
    },
    "exception_kind_differs": {
        "da": "Undtagelsen skal være af samme slags som resten af gruppen.",
        "en": "The exception must be of the same kind as the rest of the group.",
    },
    # --- pickup plan and vacation survey (h3-plan) ---
    "plan_day_or_weekday": {
        "da": "Angiv enten en dato eller en ugedag.",
        "en": "Give either a date or a weekday.",
    },
    "plan_day_past": {
        "da": "Datoen er allerede passeret.",
        "en": "That date has already passed.",
    },
    "plan_day_closed": {
        "da": "Institutionen har lukket {day}.",
        "en": "The institution is closed on {day}.",
    },
    "plan_weekday_closed": {
        "da": "Institutionen har lukket den ugedag.",
        "en": "The institution is closed on that weekday.",
    },
    "plan_outside_hours": {
        "da": "Tidspunktet skal ligge i åbningstiden ({opens}-{closes}).",
        "en": "The time must be within the opening hours ({opens}-{closes}).",
    },
    "plan_arrival_after_pickup": {
        "da": "Det første tidspunkt skal ligge før det sidste.",
        "en": "The first time must come before the second.",
    },
    "plan_after_cutoff": {
        "da": "Dagens plan kan kun ændres indtil {minutes} minutter før afhentning. Ring til"
        " institutionen.",
        "en": "Today's plan can only be changed until {minutes} minutes before pickup. Call the"
        " institution.",
    },
    "pickup_person_not_of_child": {
        "da": "Personen har ikke hentetilladelse til barnet.",
        "en": "This person is not authorised to pick this child up.",
    },
    "pickup_person_not_valid": {
        "da": "Hentetilladelsen gælder ikke den dag.",
        "en": "The pickup authorisation does not cover that day.",
    },
    "guardian_not_of_child": {
        "da": "Personen er ikke forælder til barnet.",
        "en": "This person is not a guardian of the child.",
    },
    "alone_not_allowed": {
        "da": "En forælder med forældremyndighed har ikke givet lov til, at barnet går hjem alene.",
        "en": "A guardian with custody has not allowed the child to go home alone.",
    },
    "invalid_leave_mode": {"da": "Ukendt måde at gå hjem på.", "en": "Unknown way of leaving."},
    "child_not_enrolled": {
        "da": "Barnet er ikke indskrevet den dag.",
        "en": "The child is not enrolled on that day.",
    },
    "plan_range_too_long": {
        "da": "Perioden må højst være {days} dage.",
        "en": "The period may be at most {days} days.",
    },
    "survey_too_long": {
        "da": "En ferieforespørgsel må højst dække {days} dage.",
        "en": "A vacation survey may cover at most {days} days.",
    },
    "survey_deadline_order": {
        "da": "Svarfristen skal ligge før første dag.",
        "en": "The deadline must come before the first day.",
    },
    "survey_closed": {
        "da": "Svarfristen er overskredet. Kontakt institutionen.",
        "en": "The deadline has passed. Contact the institution.",
    },
    "survey_day_outside": {
        "da": "Dagen ligger uden for ferieperioden.",
        "en": "The day lies outside the survey's period.",
    },
    "duplicate_day": {"da": "En dag står der to gange.", "en": "A day is given twice."},
    # Presence, devices, kiosk (h4-presence)
    "invalid_device_role": {
        "da": "En enhed er en personaletablet eller en kiosk.",
        "en": "A device is a staff tablet or a kiosk.",
    },
    "invalid_pin": {"da": "PIN-koden skal være 4-8 cifre.", "en": "The PIN must be 4-8 digits."},
    "wrong_pin": {"da": "Forkert PIN-kode.", "en": "Wrong PIN."},
    "wrong_second_factor_code": {
        "da": "Koden er forkert eller allerede brugt. Brug den næste kode fra din app.",
        "en": "The code is wrong or already used. Use the next code from your app.",
    },
    "second_factor_challenge_invalid": {
        "da": "Log ind er udløbet eller allerede fuldført. Log ind igen.",
        "en": "The sign-in has expired or is already complete. Sign in again.",
    },
    "second_factor_not_enrolled": {
        "da": "Du har ikke sat totrinsbekræftelse op.",
        "en": "You have not set up two-step verification.",
    },
    "second_factor_already_enrolled": {
        "da": "Totrinsbekræftelse er allerede slået til. Slå den fra først.",
        "en": "Two-step verification is already on. Turn it off first.",
    },
    "second_factor_required": {
        "da": "Din institution kræver totrinsbekræftelse, så den kan ikke slås fra.",
        "en": "Your institution requires two-step verification, so it cannot be turned off.",
    },
    "second_factor_enrolment_required": {
        "da": "Sæt totrinsbekræftelse op, før du fortsætter.",
        "en": "Set up two-step verification before you continue.",
    },
    "kiosk_code_expired": {
        "da": "QR-koden er udløbet. Vis en ny.",
        "en": "The QR code has expired. Show a new one.",
    },
    "kiosk_code_invalid": {"da": "Ugyldig QR-kode.", "en": "Invalid QR code."},
    "kiosk_code_used": {
        "da": "QR-koden er allerede brugt. Vis en ny.",
        "en": "The QR code has been used already. Show a new one.",
    },
    "naive_time": {
        "da": "Tidspunktet skal have en tidszone.",
        "en": "The time must carry a time zone.",
    },
    "event_in_future": {
        "da": "Tidspunktet ligger i fremtiden. Tjek tabletens ur.",
        "en": "The time is in the future. Check the tablet's clock.",
    },
    "event_too_old": {
        "da": "Registreringen er mere end {hours} timer gammel og kan ikke længere indsendes.",
        "en": "The event is more than {hours} hours old and can no longer be sent.",
    },
    "event_id_reused": {
        "da": "Registreringens ID er allerede brugt til noget andet.",
        "en": "The event ID has already been used for something else.",
    },
    "idempotency_key_reused": {
        "da": "Nøglen er allerede brugt til en anden handling eller et andet indhold.",
        "en": "The idempotency key was already used for another action or other content.",
    },
    "idempotency_key_length": {
        "da": "Nøglen skal være 1 til {length} tegn.",
        "en": "The idempotency key must be 1 to {length} characters.",
    },
    "already_checked_in": {
        "da": "Barnet er allerede krydset ind på det tidspunkt.",
        "en": "The child is already checked in at that time.",
    },
    "later_presence_exists": {
        "da": "Barnet er krydset ind senere; send først udkrydsningen imellem.",
        "en": "The child was checked in later; send the check-out in between first.",
    },
    "not_checked_in": {
        "da": "Barnet er ikke krydset ind.",
        "en": "The child is not checked in.",
    },
    "check_out_before_check_in": {
        "da": "Udkrydsning skal ligge efter indkrydsning.",
        "en": "The check-out must come after the check-in.",
    },
    "already_checked_out": {
        "da": "Barnet er allerede krydset ud.",
        "en": "The child is already checked out.",
    },
    "pickup_person_required": {
        "da": "Angiv hvem der henter: en forælder, en med hentetilladelse eller et navn.",
        "en": "Say who picks up: a guardian, an authorised pickup person or a name.",
    },
    "pickup_not_authorised": {
        "da": "Personen har ikke hentetilladelse. Angiv en begrundelse for at give lov alligevel.",
        "en": "This person is not authorised to pick up. Give a reason to allow it anyway.",
    },
    "undo_not_possible": {
        "da": "Registreringen kan ikke fortrydes.",
        "en": "This event cannot be undone.",
    },
    "undo_too_late": {
        "da": "Der kan kun fortrydes inden for {minutes} minutter.",
        "en": "Undo is only possible within {minutes} minutes.",
    },
    "checkout_not_estimated": {
        "da": "Udkrydsningen er allerede bekræftet.",
        "en": "The check-out is confirmed already.",
    },
    "invalid_checkout_time": {
        "da": "Udkrydsningstidspunktet passer ikke med barnets øvrige registreringer.",
        "en": "The check-out time does not fit the child's other stays.",
    },
    # the scalars (app/api/scalars.py) and the generic reasons (app/core/reasons.py)
    "invalid_date": {
        "da": "Datoen skal skrives ÅÅÅÅ-MM-DD.",
        "en": "A date must be written YYYY-MM-DD.",
    },
    "date_out_of_range": {
        "da": "Året skal ligge mellem {first} og {last}.",
        "en": "The year must lie between {first} and {last}.",
    },
    "invalid_time": {
        "da": "Et klokkeslæt skal skrives TT:MM eller TT:MM:SS.",
        "en": "A time of day must be written HH:MM or HH:MM:SS.",
    },
    "document_invalid": {
        "da": "Dokumentet kan ikke læses eller valideres mod skemaet.",
        "en": "The document does not parse or does not validate against the schema.",
    },
    "persisted_query_not_found": {
        "da": "Serveren kender ikke dokumentet med denne hash; send hele teksten.",
        "en": "The server does not know the document with this hash; send its full text.",
    },
    "persisted_query_hash_mismatch": {
        "da": "Hashen er ikke SHA-256 af den tekst, der blev sendt med.",
        "en": "The hash is not the SHA-256 of the text sent with it.",
    },
    "query_too_costly": {
        "da": "Forespørgslen koster mere end grænsen; bed om færre objekter.",
        "en": "The query costs more than the limit; ask for fewer objects.",
    },
    "trusted_document_required": {
        "da": "Kun betroede dokumenter modtages; send operationens navn eller hash.",
        "en": "Only trusted documents are accepted; send the operation's name or hash.",
    },
    "time_with_offset": {
        "da": "Et klokkeslæt er institutionens lokale tid og har ingen tidszone.",
        "en": "A time of day is the institution's local time and carries no time zone.",
    },
    "invalid_datetime": {
        "da": "Et tidspunkt skal skrives ÅÅÅÅ-MM-DDTTT:MM[:SS[.ffffff]] med tidszone.",
        "en": "A date and time must be written YYYY-MM-DDTHH:MM[:SS[.ffffff]] with an offset.",
    },
    "datetime_without_offset": {
        "da": "Tidspunktet skal have en tidszone (Z eller ±TT:MM).",
        "en": "The date and time must carry an offset (Z or ±HH:MM).",
    },
    "invalid": {"da": "Ugyldig værdi.", "en": "Invalid value."},
    "conflict": {
        "da": "Det passer ikke med det, der allerede findes.",
        "en": "This clashes with what exists already.",
    },
    "invalid_report_period": {
        "da": "Perioden må højst være {days} dage.",
        "en": "The period may be at most {days} days.",
    },
    # invitations and institutions from nothing (issue 13)
    "invitation_invalid": {
        "da": "Linket virker ikke: det er udløbet, allerede brugt eller trukket tilbage. "
        "Bed institutionen om en ny invitation.",
        "en": "The link does not work: it has expired, been used or been withdrawn. "
        "Ask the institution for a new invitation.",
    },
    "invitation_closed": {
        "da": "Invitationen er allerede taget imod eller trukket tilbage.",
        "en": "The invitation has been accepted or withdrawn already.",
    },
    "institution_closed": {
        "da": "Institutionen er lukket.",
        "en": "The institution is closed.",
    },
    "invitation_role_admin": {"da": "administrator", "en": "administrator"},
    "invitation_role_staff": {"da": "medarbejder", "en": "staff member"},
    "invitation_role_guardian": {"da": "forælder", "en": "parent or guardian"},
    "invitation_inviter_unknown": {"da": "Seddel", "en": "Seddel"},
    "invitation_subject": {
        "da": "Invitation til {institution} i Seddel",
        "en": "Invitation to {institution} on Seddel",
    },
    "invitation_body": {
        "da": "Hej {name}\n\n{inviter} har inviteret dig til {institution} i Seddel som "
        "{role}.\n\nVælg din adgangskode her (linket virker én gang, til og med {expires}):\n"
        "{link}",
        "en": "Hello {name}\n\n{inviter} has invited you to {institution} on Seddel as "
        "{role}.\n\nChoose your password here (the link works once, until {expires}):\n{link}",
    },
    "membership_granted_subject": {
        "da": "Du har fået adgang til {institution} i Seddel",
        "en": "You now have access to {institution} on Seddel",
    },
    "membership_granted_body": {
        "da": "Hej {name}\n\n{inviter} har givet dig adgang til {institution} i Seddel. "
        "Log ind som du plejer: {link}",
        "en": "Hello {name}\n\n{inviter} has given you access to {institution} on Seddel. "
        "Sign in as usual: {link}",
    },
    "personal_email_footer": {
        "da": "Forventede du ikke denne e-mail, kan du se bort fra den.",
        "en": "If you did not expect this e-mail, you can ignore it.",
    },
    # Issue 13: password policy (zxcvbn's findings), single-use links, the profile.
    "password_common": {
        "da": "Adgangskoden er en af de mest brugte (eller ligner en). Vælg en anden.",
        "en": "The password is (or resembles) one of the most used passwords. Choose another.",
    },
    "password_personal": {
        "da": "Adgangskoden indeholder dit navn eller din e-mailadresse.",
        "en": "The password contains your name or your email address.",
    },
    "password_keyboard_pattern": {
        "da": "Adgangskoden er et mønster på tastaturet (som qwerty) og let at gætte.",
        "en": "The password is a keyboard pattern (like qwerty) and easy to guess.",
    },
    "password_repeats": {
        "da": "Adgangskoden gentager de samme tegn eller ord og er let at gætte.",
        "en": "The password repeats the same characters or words and is easy to guess.",
    },
    "password_sequence": {
        "da": "Adgangskoden er en række som abc eller 6543 og er let at gætte.",
        "en": "The password is a sequence like abc or 6543 and is easy to guess.",
    },
    "password_date": {
        "da": "Adgangskoden er bygget på en dato eller et årstal og er let at gætte.",
        "en": "The password is built on a date or a year and is easy to guess.",
    },
    "password_guessable": {
        "da": "Adgangskoden er for let at gætte. Brug flere ord, gerne usædvanlige.",
        "en": "The password is too easy to guess. Use more words, uncommon ones.",
    },
    "token_invalid": {
        "da": "Linket er ugyldigt, allerede brugt eller udløbet. Bed om et nyt.",
        "en": "The link is invalid, already used or expired. Ask for a new one.",
    },
    "email_taken": {
        "da": "Den e-mailadresse bruges allerede af en anden konto.",
        "en": "That email address is already used by another account.",
    },
    "email_unchanged": {
        "da": "Det er allerede din e-mailadresse.",
        "en": "That is your email address already.",
    },
    "mail_password_reset_subject": {
        "da": "Nulstil din adgangskode til Seddel",
        "en": "Reset your Seddel password",
    },
    "mail_password_reset_body": {
        "da": "Der er bedt om at nulstille adgangskoden til din Seddel-konto. Åbn linket for"
        " at vælge en ny adgangskode. Det virker én gang og i {minutes} minutter:\n\n{link}"
        "\n\nHar du ikke selv bedt om det, kan du se bort fra denne e-mail. Din adgangskode"
        " er ikke ændret.",
        "en": "Someone asked to reset the password of your Seddel account. Open the link to"
        " choose a new password. It works once, for {minutes} minutes:\n\n{link}\n\nIf it"
        " was not you, ignore this email. Your password has not been changed.",
    },
    "mail_password_changed_subject": {
        "da": "Din adgangskode til Seddel er ændret",
        "en": "Your Seddel password was changed",
    },
    "mail_password_changed_body": {
        "da": "Adgangskoden til din Seddel-konto blev ændret {when} (UTC). Var det ikke dig,"
        " så nulstil adgangskoden straks her og kontakt institutionen:\n\n{link}",
        "en": "The password of your Seddel account was changed {when} (UTC). If it was not"
        " you, reset the password at once here and contact the institution:\n\n{link}",
    },
    "mail_email_change_subject": {
        "da": "Bekræft din nye e-mailadresse til Seddel",
        "en": "Confirm your new Seddel email address",
    },
    "mail_email_change_body": {
        "da": "Der er bedt om at bruge denne adresse til din Seddel-konto. Åbn linket for at"
        " bekræfte. Det virker én gang og i {hours} timer:\n\n{link}\n\nHar du ikke selv"
        " bedt om det, kan du se bort fra denne e-mail.",
        "en": "Someone asked to use this address for your Seddel account. Open the link to"
        " confirm. It works once, for {hours} hours:\n\n{link}\n\nIf it was not you,"
        " ignore this email.",
    },
    "mail_email_changed_subject": {
        "da": "Din e-mailadresse til Seddel er ændret",
        "en": "Your Seddel email address was changed",
    },
    "mail_email_changed_body": {
        "da": "Din Seddel-konto bruger fra nu af {new_email} i stedet for denne adresse."
        " Var det ikke dig, så kontakt institutionen straks.",
        "en": "Your Seddel account now uses {new_email} instead of this address. If it was"
        " not you, contact the institution at once.",
    },
    "mail_account_erasure_subject": {
        "da": "Din Seddel-konto bliver slettet",
        "en": "Your Seddel account will be deleted",
    },
    "mail_account_erasure_body": {
        "da": "Din Seddel-konto er ikke længere knyttet til noget barn eller nogen institution."
        " Den bliver derfor slettet {day}, med dit navn, din e-mailadresse og dit telefonnummer."
        " Skal kontoen bestå, så bed institutionen knytte dig til dit barn igen inden da.",
        "en": "Your Seddel account is no longer linked to any child or institution. It will"
        " therefore be deleted on {day}, with your name, email address and phone number."
        " To keep it, ask the institution to link you to your child again before then.",
    },
    # Federated login (OpenID Connect).
    "oidc_state_invalid": {
        "da": "Login-forsøget er ukendt, udløbet, allerede brugt eller startet i en anden browser."
        " Start forfra.",
        "en": "The login attempt is unknown, expired, already used or started in another browser."
        " Start again.",
    },
    "oidc_provider_not_for_invitation": {
        "da": "Invitationen kan ikke tages imod med denne login-udbyder: den hører ikke til"
        " institutionens kommune.",
        "en": "The invitation cannot be accepted with this identity provider: it is not the"
        " institution's municipality's.",
    },
    "oidc_provider_refused": {
        "da": "Login-udbyderen afbrød eller afviste login.",
        "en": "The identity provider cancelled or refused the login.",
    },
    "oidc_code_refused": {
        "da": "Login-udbyderen afviste koden. Start forfra.",
        "en": "The identity provider refused the code. Start again.",
    },
    "oidc_token_invalid": {
        "da": "Svaret fra login-udbyderen kunne ikke godkendes.",
        "en": "The identity provider's answer could not be verified.",
    },
    "oidc_subject_missing": {
        "da": "Login-udbyderen oplyste ikke, hvem du er.",
        "en": "The identity provider did not say who you are.",
    },
    "oidc_account_unknown": {
        "da": "Der er ingen Seddel-konto knyttet til dette login. Tag imod din invitation først,"
        " eller kontakt institutionen.",
        "en": "No Seddel account is linked to this login. Accept your invitation first, or"
        " contact the institution.",
    },
    "oidc_provider_unavailable": {
        "da": "Login-udbyderen svarer ikke som forventet. Prøv igen senere.",
        "en": "The identity provider does not answer as expected. Try again later.",
    },
    "return_uri_not_allowed": {
        "da": "Den adresse må login ikke sende tilbage til.",
        "en": "Login may not return to that address.",
    },
    "login_code_invalid": {
        "da": "Login-koden er ukendt, udløbet eller allerede brugt. Log ind igen.",
        "en": "The login code is unknown, expired or already used. Sign in again.",
    },
    "identity_already_linked": {
        "da": "Dette login er allerede knyttet til en anden konto, eller kontoen har allerede et"
        " login hos denne udbyder.",
        "en": "This login is already linked to another account, or the account already has a"
        " login at this provider.",
    },
    "provider_of_another_municipality": {
        "da": "Der er allerede en login-udbyder med det navn i en anden kommune.",
        "en": "An identity provider of that name belongs to another municipality already.",
    },
    "invalid_provider_slug": {
        "da": "Navnet må kun have små bogstaver, tal og bindestreger.",
        "en": "The name may only have lower-case letters, digits and dashes.",
    },
    "invalid_issuer": {
        "da": "Udstederen skal være en https-adresse.",
        "en": "The issuer must be an https address.",
    },
    "invalid_scopes": {
        "da": "Scopes skal indeholde openid.",
        "en": "The scopes must include openid.",
    },
    "cpr_not_allowed": {
        "da": "Et CPR-nummer må ikke bruges eller gemmes.",
        "en": "A CPR number may not be used or stored.",
    },
    # Push registrations and what a push says (issue 14)
    "invalid_push_platform": {
        "da": "Platformen skal være IOS, ANDROID eller WEB.",
        "en": "The platform must be IOS, ANDROID or WEB.",
    },
    "invalid_push_token": {
        "da": "Push-nøglen passer ikke til platformen.",
        "en": "The push token does not fit the platform.",
    },
    "invalid_push_subscription": {
        "da": "Web Push-abonnementet mangler eller har ugyldige nøgler.",
        "en": "The Web Push subscription is missing or has invalid keys.",
    },
    "push_endpoint_refused": {
        "da": "Web Push-adressen skal være HTTPS til en offentlig tjeneste.",
        "en": "The Web Push endpoint must be HTTPS to a public service.",
    },
    "push_body_open": {"da": "Åbn Seddel for at se mere.", "en": "Open Seddel to see more."},
    # Urgent SMS: who and what kind, and where to read; never the reason, a child's health or
    # the text (an SMS passes through the gateway and the phone company).
    "sms_sent_home": {
        "da": "Seddel: Dit barn skal hentes. {sender} har skrevet. Læs mere: {link}",
        "en": "Seddel: Your child needs picking up. {sender} wrote. Read more: {link}",
    },
    "sms_incident": {
        "da": "Seddel: Hændelse i dag. {sender} har skrevet. Læs mere: {link}",
        "en": "Seddel: An incident today. {sender} wrote. Read more: {link}",
    },
    # The calendar of closed days (issue 16).
    "not_a_public_holiday": {
        "da": "{day} er ikke en helligdag.",
        "en": "{day} is not a public holiday.",
    },
    "institution_closing_day": {"da": "Lukkedag", "en": "Closing day"},
    # Legal holds (issue 15).
    "legal_hold_one_subject": {
        "da": "Vælg enten et barn eller en tråd, der skal tilbageholdes (ikke begge).",
        "en": "Choose either a child or a thread to hold (not both).",
    },
    "legal_hold_already_released": {
        "da": "Tilbageholdelsen er allerede ophævet.",
        "en": "The legal hold has already been released.",
    },
    "roster_columns_missing": {
        "da": "Filen mangler kolonnerne: {columns}.",
        "en": "The file lacks the columns: {columns}.",
    },
    "roster_date_invalid": {
        "da": "Ugyldig dato: skriv 2021-03-04 eller 04-03-2021.",
        "en": "Invalid date: write 2021-03-04 or 04-03-2021.",
    },
    "roster_empty": {"da": "Filen har ingen rækker.", "en": "The file has no rows."},
    "roster_external_id_twice": {
        "da": "Barnets id står allerede i en tidligere række.",
        "en": "The child's id is already in an earlier row.",
    },
    "roster_group_unknown": {
        "da": "Institutionen har ingen gruppe med det navn.",
        "en": "The institution has no group by that name.",
    },
    "roster_guardian_twice": {
        "da": "Samme e-mailadresse står to gange i rækken.",
        "en": "The same e-mail address is twice in the row.",
    },
    "roster_import_expired": {
        "da": "Prøvekørslen er udløbet: lav en ny.",
        "en": "The dry run has expired: make a new one.",
    },
    "roster_import_has_errors": {
        "da": "Prøvekørslen har {count} rækker med fejl: ret filen og prøv igen.",
        "en": "The dry run has {count} rows in error: fix the file and try again.",
    },
    "roster_import_stale": {
        "da": "Børnelisten er ændret siden prøvekørslen: lav en ny prøvekørsel.",
        "en": "The roster changed since the dry run: make a new dry run.",
    },
    "roster_mode_invalid": {
        "da": "Vælg full eller partial.",
        "en": "Choose full or partial.",
    },
    "roster_not_csv": {
        "da": "Filen er ikke en gyldig CSV-fil.",
        "en": "The file is not valid CSV.",
    },
    "roster_not_utf8": {
        "da": 'Filen er ikke UTF-8: gem den som "CSV UTF-8".',
        "en": 'The file is not UTF-8: save it as "CSV UTF-8".',
    },
    "roster_too_many_rows": {
        "da": "Filen har mere end {max} rækker.",
        "en": "The file has more than {max} rows.",
    },
    "roster_yes_no_invalid": {"da": "Skriv ja eller nej.", "en": "Write yes or no."},
    # The Art. 15 export (issue 15).
    "data_export_running": {
        "da": "Din forrige udtrækning af data er ikke færdig endnu. Vent, til den er klar.",
        "en": "Your previous data export is not finished yet. Wait until it is ready.",
    },
    "data_export_build_failed": {
        "da": "Udtrækningen kunne ikke laves. Prøv igen senere.",
        "en": "The export could not be made. Please try again later.",
    },
    "data_export_storage_failed": {
        "da": "Udtrækningen kunne ikke gemmes. Prøv igen senere.",
        "en": "The export could not be stored. Please try again later.",
    },
    "data_export_interrupted": {
        "da": "Udtrækningen blev afbrudt. Bed om en ny.",
        "en": "The export was interrupted. Please ask for a new one.",
    },
    "push_title_data_export_ready": {
        "da": "Din udtrækning af data er klar ({sender})",
        "en": "Your data export is ready ({sender})",
    },
    "email_item_data_export_ready": {
        "da": "- Din udtrækning af data er klar i 7 dage: {link}",
        "en": "- Your data export is ready for 7 days: {link}",
    },
    "data_export_readme": {
        "da": (
            "Dine data fra Seddel\n"
            "====================\n\n"
            "Udtrækket er lavet {made} til {name} efter databeskyttelsesforordningens\n"
            "artikel 15 (indsigtsretten). Det indeholder præcis det, du selv kan se i Seddel.\n\n"
            "Indhold:\n"
            "- me.json: din profil, dine roller og institutioner\n"
            "- notification_settings.json: dine indstillinger for notifikationer\n"
            "- messages/threads.json: de tråde, du kan læse, med alle beskeder\n"
            "- messages/files/: bilag i dine tråde\n"
            "- announcements.json: opslag, du har fået\n"
            "- my_reads/: for ledere: dine egne opslag i børnenes data (adgangsloggen)\n"
            "- children/<barn>/: for hvert barn, du har forældremyndighed over: barnets\n"
            "  stamkort (record.json), dagbog (days.json), fremmøde (presence.json),\n"
            "  fravær (absences.json), hentetilladelser (pickup.json), fotosamtykke\n"
            "  (photo_consent.json), fotos (photos.json og photos/ i fuld opløsning; kun\n"
            "  dem, du må se efter de andre børns samtykker) og adgangsloggen\n"
            "  (access_log.json: hvem der har læst barnets data).\n\n"
            "Filerne er JSON (UTF-8). Tidspunkter er i UTC (ISO 8601).\n"
            "Linket til udtrækket virker i 7 dage; derefter slettes det.\n"
        ),
        "en": (
            "Your data from Seddel\n"
            "=====================\n\n"
            "This export was made {made} for {name} under Article 15 of the GDPR (the\n"
            "right of access). It holds exactly what you can see in Seddel yourself.\n\n"
            "Contents:\n"
            "- me.json: your profile, your roles and institutions\n"
            "- notification_settings.json: your notification settings\n"
            "- messages/threads.json: the threads you may read, with every message\n"
            "- messages/files/: the attachments of your threads\n"
            "- announcements.json: announcements you received\n"
            "- my_reads/: for administrators: your own reads of children's data (access log)\n"
            "- children/<child>/: for each child you have custody of: the child's record\n"
            "  (record.json), day log (days.json), attendance (presence.json), absences\n"
            "  (absences.json), pickup permissions (pickup.json), photo consent\n"
            "  (photo_consent.json), photos (photos.json and photos/ at full resolution;\n"
            "  only those you may see under the other children's consents) and the access\n"
            "  log (access_log.json: who read the child's data).\n\n"
            "The files are JSON (UTF-8). Times are in UTC (ISO 8601).\n"
            "The link to the export works for 7 days; after that it is deleted.\n"
        ),
    },
}


def translate(key: str, language: str, **params: Any) -> str:
    texts = MESSAGES.get(key)
    if texts is None:
        return key
    text = texts.get(language) or texts["en"]
    return text.format(**params) if params else text
