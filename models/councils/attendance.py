"""Attendance at a council meeting: each invitee's presence, proxies, quorum, and
recording the meeting as held.

Once a meeting is held every invitee has exactly one presence (présent, excusé,
absent, représenté). Proxies and quorum are off by default and switched on per series
(a consultative council has neither). With proxies on, a member who cannot come is
"représenté·e" by a **present member** of the same meeting: never oneself, never
someone who is represented in turn (no chains), at most ``series.max_proxies`` per
holder. With quorum on, (present + represented members) ≥ the threshold (a simple
majority of the invited members when the series names none).

Writes lock the meeting row (one writer per meeting: proxy counts stay true), validate
the whole sheet, then write all of it or nothing; they flush, never commit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import clock
from models.councils.decisions import check_version, flush
from models.councils.enums import InviteeKind, MeetingStatus, MinutesStatus, Presence
from models.councils.orm import Invitee, Meeting
from models.database import begin_write
from models.errors import ConcurrentEdit, DomainError, Errors, PermissionDenied
from models.formatting import format_date
from models.policy import can

#: what the caller passes per invitee: (presence or its value or None to clear, holder id)
PresenceInput = tuple[Presence | str | None, int | None]

#: counted in the quorum and the attendance rate
ATTENDING = (Presence.PRESENT, Presence.REPRESENTE)


def _require_team(actor: Any) -> None:
    if actor is not None and not can(actor, "councils.manage"):
        raise PermissionDenied()


def _presence(value: Presence | str | None) -> Presence | None:
    if value is None or value == "":
        return None
    return Presence(value)  # ValueError for anything else


def _kind(invitee: Invitee) -> InviteeKind:
    return InviteeKind(invitee.kind)


def lock_meeting(session: Session, meeting_id: int) -> Meeting:
    """The meeting row, locked for the rest of the transaction and re-read, with its
    invitees re-read too (what the checks below count must be the latest commit)."""
    begin_write(session)
    meeting = session.scalars(select(Meeting).where(Meeting.id == meeting_id)
                              .with_for_update()
                              .execution_options(populate_existing=True)).one_or_none()
    if meeting is None:
        raise DomainError("Réunion introuvable.")
    list(session.scalars(select(Invitee).where(Invitee.meeting_id == meeting_id)
                         .execution_options(populate_existing=True)))
    session.expire(meeting, ["invitees"])
    return meeting


# ---------------------------------------------------------------- reading
@dataclass(frozen=True)
class QuorumResult:
    """The quorum of a meeting from its recorded presences. ``reached`` is None when the
    series does not use a quorum (``enabled`` False)."""

    present: int
    represented: int
    members: int
    threshold: int | None
    reached: bool | None
    enabled: bool = True

    @property
    def counted(self) -> int:
        return self.present + self.represented


def majority(members: int) -> int:
    return members // 2 + 1


def quorum(meeting: Meeting) -> QuorumResult:
    """Present and represented **members** (guests never count) against the threshold."""
    series = meeting.series
    members = [i for i in meeting.invitees if _kind(i) is InviteeKind.MEMBRE]
    present = sum(1 for i in members if i.presence is not None
                  and Presence(i.presence) is Presence.PRESENT)
    represented = sum(1 for i in members if i.presence is not None
                      and Presence(i.presence) is Presence.REPRESENTE)
    if not series.quorum_enabled:
        return QuorumResult(present, represented, len(members), None, None, enabled=False)
    threshold = series.quorum_threshold or majority(len(members))
    return QuorumResult(present, represented, len(members), threshold,
                        present + represented >= threshold)


def attendance_rate(meeting: Meeting) -> Decimal | None:
    """(present + represented members) / invited members; None without any member."""
    members = [i for i in meeting.invitees if _kind(i) is InviteeKind.MEMBRE]
    if not members:
        return None
    attending = sum(1 for i in members
                    if i.presence is not None and Presence(i.presence) in ATTENDING)
    return (Decimal(attending) / Decimal(len(members))).quantize(Decimal("0.0001"))


@dataclass
class MlAttendance:
    """One mission locale over some held meetings: how many it was invited to as a
    member, at how many its director (or anyone of it) was present or represented."""

    mission_locale_id: int
    invited: int = 0
    attended: int = 0

    @property
    def rate(self) -> Decimal | None:
        if not self.invited:
            return None
        return (Decimal(self.attended) / Decimal(self.invited)).quantize(Decimal("0.0001"))


def attendance_by_ml(meetings: Iterable[Meeting]) -> dict[int, MlAttendance]:
    """Per mission locale, over the **held** meetings given: a director's attendance
    counts for their mission locale, once per meeting (two people of one ML = one)."""
    out: dict[int, MlAttendance] = {}
    for meeting in meetings:
        if MeetingStatus(meeting.status) is not MeetingStatus.TENU:
            continue
        seen: dict[int, bool] = {}
        for inv in meeting.invitees:
            if inv.mission_locale_id is None or _kind(inv) is not InviteeKind.MEMBRE:
                continue
            here = inv.presence is not None and Presence(inv.presence) in ATTENDING
            seen[inv.mission_locale_id] = seen.get(inv.mission_locale_id, False) or here
        for ml_id, here in seen.items():
            row = out.setdefault(ml_id, MlAttendance(ml_id))
            row.invited += 1
            row.attended += int(here)
    return out


def prefill(meeting: Meeting) -> dict[int, tuple[Presence | None, int | None]]:
    """What the attendance sheet shows first: the recorded presence, else the invitee's
    answer (a "représenté" answer only where the series allows proxies)."""
    proxies = meeting.series.proxies_enabled
    out: dict[int, tuple[Presence | None, int | None]] = {}
    for inv in meeting.invitees:
        if inv.presence is not None:
            out[inv.id] = (Presence(inv.presence), inv.proxy_holder_id)
            continue
        answer = Presence(inv.answer) if inv.answer is not None else None
        if answer is Presence.REPRESENTE and not proxies:
            answer = Presence.EXCUSE
        holder = inv.proxy_holder_id if answer is Presence.REPRESENTE else None
        out[inv.id] = (answer, holder)
    return out


def missing_presences(meeting: Meeting) -> list[Invitee]:
    return [i for i in meeting.invitees if i.presence is None]


# ---------------------------------------------------------------- writing
def _recordable(meeting: Meeting, today: date, errors: Errors) -> None:
    status = MeetingStatus(meeting.status)
    if status is MeetingStatus.ANNULE:
        errors.add("__all__", "Cette réunion est annulée : il n'y a pas de présence à "
                              "enregistrer.")
    elif meeting.day > today:
        errors.add("__all__", f"La réunion du {format_date(meeting.day)} n'a pas encore eu "
                              "lieu : les présences s'enregistrent le jour même ou après.")
    minutes = meeting.minutes
    if minutes is not None and MinutesStatus(minutes.status) is MinutesStatus.APPROUVE:
        errors.add("__all__", "Le compte rendu de cette réunion est approuvé : les présences "
                              "font partie du procès-verbal et ne se modifient plus.")


def _recorded(inv: Invitee) -> tuple[Presence | None, int | None]:
    """An invitee's recorded presence and proxy holder (a holder named in an answer,
    before any presence is recorded, is not a proxy yet)."""
    presence = Presence(inv.presence) if inv.presence is not None else None
    return presence, inv.proxy_holder_id if presence is Presence.REPRESENTE else None


def _final_sheet(session: Session, meeting: Meeting,
                 presences: Mapping[int, PresenceInput],
                 errors: Errors) -> dict[int, tuple[Presence | None, int | None]]:
    """The sheet as it would be after the change (recorded presences, then ``presences``
    over them), with every rule checked on it; errors keyed ``p_<invitee id>``."""
    invitees = {i.id: i for i in meeting.invitees}
    final = {i.id: _recorded(i) for i in invitees.values()}
    for invitee_id, value in presences.items():
        inv = invitees.get(invitee_id)
        if inv is None:
            other = session.get(Invitee, invitee_id) if isinstance(invitee_id, int) else None
            who = f"{other.full_name} n'est pas invité·e" if other is not None else \
                "Cette personne n'est pas invitée"
            errors.add("__all__", f"{who} à la réunion du {format_date(meeting.day)} : une "
                                  "présence ne s'enregistre que pour une personne invitée.")
            continue
        raw, holder = value if isinstance(value, tuple) else (value, None)
        try:
            presence = _presence(raw)
        except ValueError:
            errors.add(f"p_{inv.id}", f"{inv.full_name} : choisissez présent·e, excusé·e, "
                                      "absent·e ou représenté·e.")
            continue
        final[inv.id] = (presence, holder)

    series = meeting.series
    held: Counter[int] = Counter()
    for inv_id, (presence, holder_id) in final.items():
        inv = invitees[inv_id]
        key = f"p_{inv_id}"
        if presence is not Presence.REPRESENTE:
            if holder_id is not None:
                errors.add(key, f"{inv.full_name} n'est pas représenté·e : ne choisissez pas "
                                "de mandataire.")
            continue
        if not series.proxies_enabled:
            errors.add(key, f"{inv.full_name} : les pouvoirs ne sont pas ouverts pour "
                            f"« {series.name} » ; indiquez excusé·e ou absent·e.")
            continue
        if _kind(inv) is not InviteeKind.MEMBRE:
            errors.add(key, f"{inv.full_name} est invité·e, pas membre : seul·e un·e membre "
                            "donne pouvoir.")
            continue
        if holder_id is None:
            errors.add(key, f"{inv.full_name} est représenté·e : choisissez le ou la membre "
                            "présent·e qui porte son pouvoir.")
            continue
        if holder_id == inv_id:
            errors.add(key, f"{inv.full_name} ne peut pas se donner pouvoir à soi-même.")
            continue
        holder = invitees.get(holder_id)
        if holder is None:
            errors.add(key, f"Le ou la mandataire de {inv.full_name} n'est pas invité·e à "
                            "cette réunion.")
            continue
        if _kind(holder) is not InviteeKind.MEMBRE:
            errors.add(key, f"{holder.full_name} est invité·e, pas membre : un pouvoir va à "
                            "un·e membre présent·e.")
            continue
        holder_presence = final[holder.id][0]
        if holder_presence is Presence.REPRESENTE:
            errors.add(key, f"{holder.full_name} est lui-même ou elle-même représenté·e : un "
                            "pouvoir ne se transmet pas en chaîne.")
            continue
        if holder_presence is not Presence.PRESENT:
            errors.add(key, f"{holder.full_name} n'est pas présent·e : le pouvoir de "
                            f"{inv.full_name} va à un·e membre présent·e.")
            continue
        held[holder.id] += 1
    for holder_id, count in held.items():
        if count > series.max_proxies:
            errors.add(f"p_{holder_id}", f"{invitees[holder_id].full_name} porterait "
                                         f"{count} pouvoirs : {series.max_proxies} au plus "
                                         "par membre présent·e.")
    return final


def _check_versions(meeting: Meeting, expected_versions: Mapping[int, int] | None) -> None:
    if not expected_versions:
        return
    current = {i.id: i.version_id for i in meeting.invitees}
    for invitee_id, version in expected_versions.items():
        if invitee_id in current and current[invitee_id] != version:
            raise ConcurrentEdit("Les présences de cette réunion ont été modifiées par "
                                 "quelqu'un d'autre depuis l'ouverture de la page. Rechargez "
                                 "la page : rien n'a été enregistré.")


def _apply(meeting: Meeting, presences: Mapping[int, PresenceInput],
           final: dict[int, tuple[Presence | None, int | None]]) -> int:
    changed = 0
    for inv in meeting.invitees:
        if inv.id not in presences:
            continue
        presence, holder_id = final[inv.id]
        if (inv.presence, inv.proxy_holder_id) != (presence, holder_id):
            inv.presence = presence
            inv.proxy_holder_id = holder_id
            changed += 1
    return changed


def record_attendance(session: Session, actor: Any, meeting: Meeting,
                      presences: Mapping[int, PresenceInput], *,
                      expected_version: int | None = None,
                      expected_versions: Mapping[int, int] | None = None,
                      today: date | None = None) -> int:
    """Set presences ``{invitee id: (presence, proxy holder id or None)}``, all or nothing.

    The team only; never for a cancelled meeting, a meeting still to come, or once its
    minutes are approved. ``expected_version`` is the meeting's, ``expected_versions``
    each invitee's as the page showed them. Returns how many invitees changed.
    """
    _require_team(actor)
    meeting = lock_meeting(session, meeting.id)
    check_version(meeting, expected_version)
    _check_versions(meeting, expected_versions)
    errors = Errors()
    _recordable(meeting, today or clock.today(), errors)
    errors.raise_if_any()
    final = _final_sheet(session, meeting, presences, errors)
    errors.raise_if_any()
    changed = _apply(meeting, presences, final)
    flush(session)
    return changed


def hold_meeting(session: Session, actor: Any, meeting: Meeting,
                 presences: Mapping[int, PresenceInput] | None = None, *,
                 expected_version: int | None = None,
                 expected_versions: Mapping[int, int] | None = None,
                 today: date | None = None) -> QuorumResult:
    """Record the meeting as held (status « tenue »), with ``presences`` recorded first
    when given. The meeting day is today or past, and every invitee has exactly one
    presence. Returns the quorum (a meeting without quorum is held all the same: the
    minutes say so)."""
    _require_team(actor)
    meeting = lock_meeting(session, meeting.id)
    check_version(meeting, expected_version)
    _check_versions(meeting, expected_versions)
    errors = Errors()
    status = MeetingStatus(meeting.status)
    if status is MeetingStatus.TENU:
        raise DomainError(f"La réunion du {format_date(meeting.day)} est déjà marquée comme "
                          "tenue.")
    _recordable(meeting, today or clock.today(), errors)
    if not meeting.invitees:
        errors.add("__all__", "Personne n'est invité·e à cette réunion : ajoutez les "
                              "invité·es et leur présence avant de la marquer comme tenue.")
    errors.raise_if_any()
    presences = presences or {}
    final = _final_sheet(session, meeting, presences, errors)
    errors.raise_if_any()
    missing = sorted((i for i in meeting.invitees if final[i.id][0] is None),
                     key=lambda i: (_kind(i) is not InviteeKind.MEMBRE, i.full_name.lower()))
    if missing:
        names = ", ".join(i.full_name for i in missing[:10])
        more = f" et {len(missing) - 10} autre(s)" if len(missing) > 10 else ""
        for inv in missing:
            errors.add(f"p_{inv.id}", f"Présence de {inv.full_name} non renseignée.")
        errors.add("__all__", f"Chaque personne invitée a une présence avant que la réunion "
                              f"soit marquée comme tenue ; il manque : {names}{more}.")
        errors.raise_if_any()
    _apply(meeting, presences, final)
    meeting.status = MeetingStatus.TENU
    flush(session)
    # the next meeting's agenda now opens with the approval of these minutes
    from models.councils.agenda import ensure_approval_item
    from models.councils.meetings import next_meeting

    following = next_meeting(session, meeting)
    if following is not None:
        ensure_approval_item(session, following)
        flush(session)
    return quorum(meeting)
