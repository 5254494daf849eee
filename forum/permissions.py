"""Every permission rule, as plain predicates ``can_<verb>_<noun>(user, obj)``.

Views call :func:`require` before doing any work; templates call the same
predicates (they are Jinja globals). Services that enforce invariants re-check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import abort

if TYPE_CHECKING:
    from forum.models import Category, Topic, User


# A sign-in counts only once its second step (a two-factor code, or a staff account's
# enrolment) is passed: until then the session may do nothing but finish signing in.
def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and not getattr(user, "two_factor_pending", False))


def _is_staff(user: Any) -> bool:
    return _signed_in(user) and user.is_staff


def _is_admin(user: Any) -> bool:
    return _signed_in(user) and user.is_admin


# Taking part (posting, replying, voting, flagging, giving kudos) needs a signed-in
# account with a verified email. Every member action builds on this one fact, so
# that a later restriction (such as a suspension) applies everywhere at once.
def _can_participate(user: Any) -> bool:
    return _signed_in(user) and user.is_verified and not user.is_suspended


# A member may start a topic in any category once their email is verified.
def can_create_topic(user: User | None, category: Category | None = None) -> bool:
    return _can_participate(user)


# A member may reply to any topic once their email is verified; a locked topic
# takes replies from moderators only.
def can_reply_to_topic(user: User | None, topic: Topic | None = None) -> bool:
    if topic is not None and getattr(topic, "is_locked", False):
        return _can_participate(user) and _is_moderator(user)
    return _can_participate(user)


# Staff (customer care, moderators, executives, admins) may pin and unpin topics.
def can_pin_topic(user: User | None, topic: Topic | None = None) -> bool:
    return _is_staff(user)


# Signing in with the forum's own password: everyone may, except staff once an admin
# has turned that off (OIDC_STAFF_PASSWORD_SIGN_IN false): then staff sign in only
# through a staff identity provider (forum.sso). Members' local accounts keep working.
def can_sign_in_with_password(user: User | None, obj: Any = None) -> bool:
    from flask import current_app

    if user is None or not getattr(user, "is_staff", False):
        return True
    return bool(current_app.config.get("OIDC_STAFF_PASSWORD_SIGN_IN", True))


# Signing in through an OpenID Connect provider (``provider.staff``: the corporate one):
# a staff provider signs in anyone linked to it; a member provider signs in staff only
# while staff may still use local sign-in (the same switch as the password).
def can_sign_in_through_provider(user: User | None, provider: Any = None) -> bool:
    if provider is not None and getattr(provider, "staff", False):
        return True
    return can_sign_in_with_password(user)


# Only admins manage categories.
def can_manage_categories(user: User | None, obj: Any = None) -> bool:
    return _is_admin(user)


# Only admins see the design system's style guide (/styleguide; 404 for everyone else).
def can_view_styleguide(user: User | None, obj: Any = None) -> bool:
    return _is_admin(user)


# Only admins edit the search synonyms (they change what everyone's searches find).
def can_manage_search_synonyms(user: User | None, obj: Any = None) -> bool:
    return _is_admin(user)


# Only admins change roles, and never their own (so the last admin cannot lock
# everyone out by accident).
def can_change_role(user: User | None, target: User | None = None) -> bool:
    return _is_admin(user) and (target is None or target.id != user.id)


# Only admins sign another user out everywhere, and not themselves (their own
# settings page does that).
def can_end_user_sessions(user: User | None, target: User | None = None) -> bool:
    return _is_admin(user) and (target is None or target.id != user.id)


# Only admins reset another account's two-factor sign-in (a lost phone), never their own.
def can_reset_two_factor(user: User | None, target: User | None = None) -> bool:
    return _is_admin(user) and (target is None or target.id != user.id)


# Staff pages: anyone acting for the brand.
def can_view_staff_pages(user: User | None, obj: Any = None) -> bool:
    return _is_staff(user)


PREDICATES = {
    f.__name__: f
    for f in (
        can_create_topic,
        can_reply_to_topic,
        can_pin_topic,
        can_manage_categories,
        can_view_styleguide,
        can_change_role,
        can_end_user_sessions,
        can_reset_two_factor,
        can_view_staff_pages,
    )
}


class _Participating:
    """``user`` as if verified and not suspended: used to tell whether a refusal is
    only because the account cannot take part right now."""

    is_verified = True
    is_suspended = False

    def __init__(self, user: Any):
        self._user = user

    def __getattr__(self, name: str) -> Any:
        return getattr(self._user, name)


def suspension_message(user: Any) -> str | None:
    """What a suspended account is told when it tries to take part; ``None`` otherwise."""
    if _signed_in(user) and user.is_suspended:
        return "Your account is suspended: you can read the forum, but not post, reply, vote, flag or give kudos."
    return None


def _participation_refusal(user: Any):
    """The 403 page for a signed-in account that cannot take part (suspended, or its
    email not yet confirmed), so every feature says why rather than a bare 403."""
    from flask import jsonify, make_response, render_template, request

    suspended = user.is_suspended
    if request.accept_mimetypes.best == "application/json":
        message = suspension_message(user) if suspended else "Confirm your email address first."
        return make_response(jsonify(error=message, status=403), 403)
    template = "moderation/suspended.html" if suspended else "accounts/unverified.html"
    return make_response(render_template(template), 403)


def require(predicate, user, obj=None) -> None:
    """Abort unless ``predicate(user, obj)``: anonymous users go to the login page
    (401 is turned into a redirect by Flask-Login), signed-in users get 403. When the
    only obstacle is a suspension or an unconfirmed email, the 403 page says so."""
    if predicate(user, obj):
        return
    if not _signed_in(user):
        from forum.extensions import login_manager

        abort(login_manager.unauthorized())
    if (user.is_suspended or not user.is_verified) and predicate(_Participating(user), obj):
        abort(_participation_refusal(user))
    abort(403)


# --- messages ---

#: Roles that make up the Customer Care team for private conversations: "staff"
#: (Customer Care), "executive" (Head of Customer Care) and "admin" (who runs the
#: site and can reassign roles anyway, so excluding them would protect nothing).
#: Moderators are NOT in it: they look after public content, and member-to-team
#: conversations are account casework they must not read.
CARE_TEAM_ROLES = frozenset({"staff", "executive", "admin"})


def _is_care_team(user: Any) -> bool:
    return _signed_in(user) and user.role in CARE_TEAM_ROLES


def _member_dms_enabled() -> bool:
    from flask import current_app

    return bool(current_app.config.get("MEMBER_DMS"))


# The staff inbox (/staff/inbox) of team conversations: the Customer Care team only.
def can_use_staff_inbox(user: User | None, obj: Any = None) -> bool:
    return _is_care_team(user)


# A conversation can be read by its participants; a team conversation also by
# anyone in the Customer Care team (not by moderators who are not in it). Views
# answer 404, not 403, when this is false, so that ids leak nothing.
def can_read_conversation(user: User | None, conversation: Any) -> bool:
    if not _signed_in(user) or conversation is None:
        return False
    if conversation.is_team:
        return conversation.member_id == user.id or _is_care_team(user)
    return user.id in conversation.participant_ids


# Writing in a conversation: those who can read it and can take part (verified),
# while it is open.
def can_reply_to_conversation(user: User | None, conversation: Any) -> bool:
    return _can_participate(user) and can_read_conversation(user, conversation) and not conversation.is_closed


# Either side may close a conversation and reopen it.
def can_close_conversation(user: User | None, conversation: Any) -> bool:
    return _can_participate(user) and can_read_conversation(user, conversation)


# Only the Customer Care team assigns team conversations (to themselves), and sees
# the assignment history.
def can_assign_conversation(user: User | None, conversation: Any) -> bool:
    return _is_care_team(user) and conversation is not None and conversation.is_team


# Any member who can take part may write to Customer Care as a team.
def can_contact_team(user: User | None, obj: Any = None) -> bool:
    return _can_participate(user)


# Messaging a named person: the Customer Care team may start a conversation with
# any member outside the team; everyone else (moderators included) only when
# MEMBER_DMS is on, and never with themselves.
def can_message_user(user: User | None, target: User | None = None) -> bool:
    if not _can_participate(user) or (target is not None and target.id == user.id):
        return False
    if _is_care_team(user) and (target is None or not _is_care_team(target)):
        return True
    return _member_dms_enabled()
# --- moderation ---
#: Roles that moderate: hide, restore, edit others' posts, lock, move, merge, suspend,
#: work the review queue.
MODERATOR_ROLES = frozenset({"moderator", "admin"})


def _is_moderator(user: Any) -> bool:
    return _signed_in(user) and user.role in MODERATOR_ROLES


def _is_author(user: Any, post: Any) -> bool:
    return _signed_in(user) and post is not None and post.author_id == user.id


# The author may edit their own post while they can take part and the topic is not
# locked; moderators (unless suspended) may edit any post (with a reason, checked by
# the service).
def can_edit_post(user: User | None, post: Any = None) -> bool:
    if _is_moderator(user):
        return not user.is_suspended
    if post is None:
        return _can_participate(user)
    return _can_participate(user) and _is_author(user, post) and not post.topic.is_locked and not post.is_hidden


# A topic's title is edited by its author (as the opening post) or by a moderator.
def can_edit_topic_title(user: User | None, topic: Any = None) -> bool:
    if _is_moderator(user):
        return True
    return _can_participate(user) and topic is not None and topic.author_id == user.id and not topic.is_locked


# Moderators hide, restore and delete spam, lock, move and merge topics.
def can_moderate(user: User | None, obj: Any = None) -> bool:
    return _is_moderator(user)


# Moderators suspend members, never themselves and never staff (change their role first).
def can_suspend_user(user: User | None, target: Any = None) -> bool:
    return _is_moderator(user) and (target is None or (target.id != user.id and not target.is_staff))


# The original of a hidden post: its author and staff; personal data or spam: staff only.
def can_view_hidden_post(user: User | None, post: Any = None) -> bool:
    if post is None or not post.is_hidden:
        return True
    if _is_staff(user):
        return True
    return _is_author(user, post) and not post.hidden_staff_only


# Verified members who can take part flag other members' posts (once each, checked by
# the service); not their own.
def can_flag_post(user: User | None, post: Any = None) -> bool:
    return _can_participate(user) and (post is None or post.author_id != user.id)


# The author appeals a moderation action on their own post (once, checked by the service).
# A suspended author may appeal too: an appeal is how they contest it.
def can_appeal_post(user: User | None, post: Any = None) -> bool:
    return _signed_in(user) and user.is_verified and post is not None and _is_author(user, post)
# --- helpdesk ---
# Official answers, accepted solutions, satisfaction, kudos, subscriptions, the staff
# queue and the member's own settings.


def _is_reply(post: Any) -> bool:
    return post is not None and not post.is_first


# Staff (customer care, moderators, executives, admins) may mark any reply in a topic
# as its official answer: their own, or a member's that they endorse.
def can_mark_official_answer(user: User | None, post: Any = None) -> bool:
    return _is_staff(user) and (post is None or _is_reply(post))


# The topic's author may accept one reply (not the opening post, and not one of their
# own) as the solution, if they can still take part.
def can_accept_solution(user: User | None, post: Any = None) -> bool:
    if not _can_participate(user):
        return False
    if post is None:
        return True
    return _is_reply(post) and post.topic.author_id == user.id and post.author_id != user.id


# Only the topic's author answers "Did this solve your problem?", once it is answered
# (staff replied or marked an official answer) or resolved; Yes resolves, No reopens.
def can_rate_satisfaction(user: User | None, topic: Topic | None = None) -> bool:
    if not _can_participate(user):
        return False
    return topic is None or (topic.author_id == user.id and topic.state in ("answered", "resolved"))


# Staff resolve a help topic on the asker's behalf (with a reason, in the public log).
def can_resolve_topic_for_asker(user: User | None, topic: Topic | None = None) -> bool:
    return _is_staff(user)


# Staff set a topic's issue label (Investigating, Known issue, Workaround, Fixed).
def can_set_issue_label(user: User | None, topic: Topic | None = None) -> bool:
    return _is_staff(user)


# Verified members give kudos to other people's posts (once each; the service checks).
def can_give_kudos(user: User | None, post: Any = None) -> bool:
    return _can_participate(user) and (post is None or post.author_id != user.id)


# Any signed-in member may watch or mute a topic (muting needs no verified email).
def can_subscribe_topic(user: User | None, topic: Topic | None = None) -> bool:
    return _signed_in(user)


# The staff response queue and claiming a topic from it: staff roles only.
def can_view_staff_queue(user: User | None, obj: Any = None) -> bool:
    return _is_staff(user)


def can_claim_topic(user: User | None, topic: Topic | None = None) -> bool:
    return _is_staff(user)


# Everyone signed in edits their own settings (display name, email preference).
def can_edit_settings(user: User | None, obj: Any = None) -> bool:
    return _signed_in(user)
# --- qa_events ---


def _has_role(user: Any, *roles: str) -> bool:
    return _signed_in(user) and user.role in roles


# Customer Care staff and admins create Q&A sessions.
def can_create_qa_event(user: User | None, obj: Any = None) -> bool:
    return _has_role(user, "staff", "admin")


# Customer Care staff and admins move a session between states by hand.
def can_transition_qa_event(user: User | None, event: Any = None) -> bool:
    return _has_role(user, "staff", "admin")


# Any member who can take part may ask a question (the session's window and the
# per-member limit are checked by the service).
def can_ask_qa_question(user: User | None, event: Any = None) -> bool:
    return _can_participate(user)


# Any member who can take part may vote, but never for their own question.
def can_vote_qa_question(user: User | None, question: Any = None) -> bool:
    return _can_participate(user) and (question is None or question.author_id != user.id)


# Any member who can take part may ask to be reminded when a session goes live.
def can_subscribe_qa_event(user: User | None, event: Any = None) -> bool:
    return _can_participate(user)


# Moderators, Customer Care staff and admins merge duplicates and decline
# off-topic questions (publicly logged). The executive does not: nobody should
# be able to decline the questions put to themselves.
def can_moderate_qa_question(user: User | None, question: Any = None) -> bool:
    return _has_role(user, "moderator", "staff", "admin")


# The session's executive answers; Customer Care staff and admins may answer on
# their behalf (shown as such) and post follow-up notes.
def can_answer_qa_question(user: User | None, event: Any = None) -> bool:
    if _has_role(user, "staff", "admin"):
        return True
    return _has_role(user, "executive") and (event is None or event.executive_id == user.id)


# An answer may be changed by whoever wrote it, and by Customer Care staff and
# admins (for follow-ups); every change keeps a revision.
def can_edit_qa_answer(user: User | None, answer: Any = None) -> bool:
    if _has_role(user, "staff", "admin"):
        return True
    return _has_role(user, "executive") and (answer is None or answer.author_id == user.id)


PREDICATES.update(
    {
        f.__name__: f
        for f in (
            can_use_staff_inbox,
            can_read_conversation,
            can_reply_to_conversation,
            can_close_conversation,
            can_assign_conversation,
            can_contact_team,
            can_message_user,
            can_edit_post,
            can_edit_topic_title,
            can_moderate,
            can_suspend_user,
            can_view_hidden_post,
            can_flag_post,
            can_appeal_post,
            can_mark_official_answer,
            can_accept_solution,
            can_rate_satisfaction,
            can_give_kudos,
            can_subscribe_topic,
            can_view_staff_queue,
            can_claim_topic,
            can_resolve_topic_for_asker,
            can_set_issue_label,
            can_edit_settings,
        )
    }
)


PREDICATES.update(
    {
        f.__name__: f
        for f in (
            can_create_qa_event,
            can_transition_qa_event,
            can_ask_qa_question,
            can_vote_qa_question,
            can_subscribe_qa_event,
            can_moderate_qa_question,
            can_answer_qa_question,
            can_edit_qa_answer,
        )
    }
)


# --- incidents ---


# Staff (anyone acting for the brand) open incidents, post and correct updates,
# resolve them and publish their summaries.
def can_manage_incidents(user: User | None, incident: Any = None) -> bool:
    return _is_staff(user)


# A member may press "I'm affected" on an open incident (visitors only when
# FORUM_INCIDENT_ANON_REPORTS is on; the view checks that setting).
def can_report_affected(user: User | None, incident: Any = None) -> bool:
    return _can_participate(user) and (incident is None or incident.is_open)


# A member may follow an incident to be notified of its updates.
def can_follow_incident(user: User | None, incident: Any = None) -> bool:
    return _can_participate(user)


# Staff may move a topic into an incident as a linked report (logged with a reason).
def can_link_topic_to_incident(user: User | None, topic: Any = None) -> bool:
    return _is_staff(user)


PREDICATES.update(
    {
        f.__name__: f
        for f in (can_manage_incidents, can_report_affected, can_follow_incident, can_link_topic_to_incident)
    }
)


# --- account self-service (issue 18) ---

# A signed-in member may delete their own account. Someone holding a staff role may
# not while they hold it: an administrator changes the role to member first, so the
# brand's records of who acted for it are never removed by the person themselves.
def can_delete_own_account(user: User | None, target: Any = None) -> bool:
    return _signed_in(user) and not user.is_staff and (target is None or target.id == user.id)


# Only administrators see the record of deleted accounts.
def can_view_account_deletions(user: User | None, obj: Any = None) -> bool:
    return _is_admin(user)


PREDICATES.update({f.__name__: f for f in (can_delete_own_account, can_view_account_deletions)})


# Only administrators see the background jobs that kept failing (their errors may name
# addresses and internals) and send them round again.
def can_manage_jobs(user: User | None, obj: Any = None) -> bool:
    return _is_admin(user)


PREDICATES["can_manage_jobs"] = can_manage_jobs


# Only administrators register webhook endpoints, see their secrets and delivery logs
# (responses from outside systems), and send test pings.
def can_manage_webhooks(user: User | None, obj: Any = None) -> bool:
    return _is_admin(user)


PREDICATES["can_manage_webhooks"] = can_manage_webhooks


# --- helpdesk staff tools (internal notes, saved replies, assignment, private cases) ---


# Internal notes inside a topic are read and written by the Customer Care team and
# moderators (every staff role); never by members, never by visitors.
def can_view_internal_notes(user: User | None, topic: Topic | None = None) -> bool:
    return _is_staff(user)


def can_write_internal_note(user: User | None, topic: Topic | None = None) -> bool:
    return _is_staff(user)


# The team's saved replies are kept (listed, written, archived) by staff roles.
def can_manage_saved_replies(user: User | None, obj: Any = None) -> bool:
    return _is_staff(user)


# Using a saved reply fills the reply form: staff who may reply to the topic.
def can_use_saved_reply(user: User | None, topic: Topic | None = None) -> bool:
    return _is_staff(user) and can_reply_to_topic(user, topic)


# A claim is released by the agent who holds it (another agent takes it over by
# claiming it themselves).
def can_release_topic(user: User | None, topic: Topic | None = None) -> bool:
    return _is_staff(user) and topic is not None and topic.claimed_by_id == user.id


# Escalating a topic to a private case opens a team conversation with the asker:
# the Customer Care team only (moderators do not do account casework), and never
# with an asker who is in the team themselves.
def can_escalate_topic(user: User | None, topic: Topic | None = None) -> bool:
    if not _is_care_team(user) or not can_message_user(user, None):
        return False
    return topic is None or (topic.author is not None and not _is_care_team(topic.author))


# Closing a private case (a team conversation with a topic's asker, about that
# topic), optionally with a public resolution note: the Customer Care team.
def can_close_private_case(user: User | None, conversation: Any = None) -> bool:
    if not _is_care_team(user) or not can_close_conversation(user, conversation):
        return False
    topic = conversation.topic
    return conversation.is_team and topic is not None and conversation.member_id == topic.author_id


PREDICATES.update(
    {
        f.__name__: f
        for f in (
            can_view_internal_notes,
            can_write_internal_note,
            can_manage_saved_replies,
            can_use_saved_reply,
            can_release_topic,
            can_escalate_topic,
            can_close_private_case,
        )
    }
)


# --- people and composer (issue 17) ---

# Anyone may read a topic (the community is public), but not a deleted account, and
# no one a topic merged into another (readers are sent on to that one).
def can_view_topic(user: User | None, topic: Any = None) -> bool:
    if user is not None and getattr(user, "is_deleted", False):
        return False
    return topic is None or topic.merged_into_id is None


# Signed-in members see other members' names as they type "@" (names are public on
# posts anyway; never emails).
def can_suggest_mentions(user: User | None, obj: Any = None) -> bool:
    return _signed_in(user)


# A preview renders text for the one who typed it: anyone who may post somewhere.
def can_preview_post(user: User | None, obj: Any = None) -> bool:
    return _can_participate(user)


# Screenshots are uploaded by members who can take part (limits per member: the service).
def can_upload_image(user: User | None, obj: Any = None) -> bool:
    return _can_participate(user)


# A post is quoted by someone who may reply, and only text they may see.
def can_quote_post(user: User | None, post: Any = None) -> bool:
    if post is None:
        return _can_participate(user)
    return can_reply_to_topic(user, post.topic) and not post.is_hidden


PREDICATES.update(
    {f.__name__: f for f in (can_view_topic, can_suggest_mentions, can_preview_post, can_upload_image, can_quote_post)}
)


# --- insights (issue 14) ---

#: Roles that see the Customer Care insights dashboard in full (the Team block aside).
INSIGHTS_ROLES = frozenset({"staff", "executive", "admin"})


# The insights dashboard: Customer Care, the Head of Customer Care and admins. Others get
# 404 (the page's existence is not advertised), except moderators: see below.
def can_view_insights(user: User | None, obj: Any = None) -> bool:
    return _signed_in(user) and user.role in INSIGHTS_ROLES


# Its moderation block (and that block's CSV): those roles, and moderators, who see
# that block only.
def can_view_moderation_insights(user: User | None, obj: Any = None) -> bool:
    return can_view_insights(user) or (_signed_in(user) and user.role == "moderator")


# The per-agent Team block: staff leads (admins) only.
def can_view_team_insights(user: User | None, obj: Any = None) -> bool:
    return _is_admin(user)


# A visitor (not signed in) answers "Did you find what you needed?" on a solved topic.
def can_answer_found_survey(user: User | None, topic: Topic | None = None) -> bool:
    return not _signed_in(user) and (topic is None or topic.state == "resolved")


PREDICATES.update(
    {
        f.__name__: f
        for f in (can_view_insights, can_view_moderation_insights, can_view_team_insights, can_answer_found_survey)
    }
)


# --- API tokens (issue 19) ---

# Staff (every staff role) create personal API tokens for their own tools; a token
# acts as them, with no more rights than they have on the pages.
def can_create_personal_token(user: User | None, obj: Any = None) -> bool:
    return _is_staff(user)


# Only admins create service tokens for integrations (a CRM, social-care tooling).
def can_create_service_token(user: User | None, obj: Any = None) -> bool:
    return _is_admin(user)


# A personal token is revoked by its owner or an admin; a service token by an admin.
def can_revoke_api_token(user: User | None, token: Any = None) -> bool:
    if token is None:
        return False
    if _is_admin(user):
        return True
    return token.kind == "personal" and _signed_in(user) and token.user_id == user.id


PREDICATES.update(
    {f.__name__: f for f in (can_create_personal_token, can_create_service_token, can_revoke_api_token)}
)
