"""Authentik's flow executor API for the lab: ``/api/v3/flows/executor/<slug>/?query=<interface query>``.

    response = FlowExecutor(idp).handle(request, "default-authentication-flow", session)

Shapes and rules of goauthentik/authentik 2025.x (fixtures/upstream/authentik/SOURCE.md cites each):
GET answers the current stage's challenge (200 JSON; ``component`` names the stage). POST answers
it: a valid answer is a 302 back to the executor URL (flows/views/executor.py ``stage_ok`` →
``redirect_with_qs``; ``to_stage_response`` keeps a redirect to the same URL a plain 302), an
invalid one is a 200 with the same challenge and ``response_errors`` (flows/stage.py
``challenge_invalid``). A finished flow answers ``xak-flow-redirect`` with ``to`` = the ``next`` of the
query (``_flow_done``). The default authentication flow: identification (user_fields email and
username, no password field, an unknown user is pretended to exist) → password ("Invalid password";
the fifth failure denies access, ``failed_attempts_before_cancel``) → user login. The implicit-consent
authorization flow has no stage of its own: the OAuth fulfillment stage the authorize view appended
redirects to the client's redirect_uri with ``code`` and ``state``, which becomes the redirect
challenge. A flow that needs a login, run without one, is denied ("Flow does not apply to current user.").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from lab.edge.http_serve import Request, Response

if TYPE_CHECKING:
    from lab.edge.authentik import Authentik, Session

AUTHENTICATION_FLOW = "default-authentication-flow"
AUTHORIZATION_FLOW = "default-provider-authorization-implicit-consent"
MAX_PASSWORD_FAILURES = 5
AVATAR = "/static/dist/assets/images/user_default.png"
INVALID_PASSWORD = "Invalid password"


@dataclass(frozen=True)
class Flow:
    slug: str
    title: str
    designation: str
    stages: tuple[str, ...]
    needs_login: bool                  # the flow's ``authentication: require_authenticated``


FLOWS = {flow.slug: flow for flow in (
    Flow(AUTHENTICATION_FLOW, "Welcome to authentik!", "authentication",
         ("identification", "password", "user_login"), False),
    Flow(AUTHORIZATION_FLOW, "Redirecting to %(app)s", "authorization", (), True),
)}


@dataclass(frozen=True)
class Grant:
    """The OAuth request the authorization flow will fulfil."""

    client_id: str
    redirect_uri: str
    state: str
    scope: str


@dataclass
class Plan:
    flow: str
    stages: list[str]
    grant: Grant | None = None
    next: str | None = None
    pending_user: str | None = None    # the matched user (None: unknown, pretended to exist)
    identifier: str = ""               # what the user typed, shown as pending_user
    failures: int = 0


def _error(field: str, text: str, code: str) -> dict[str, list[dict[str, str]]]:
    return {field: [{"string": text, "code": code}]}


class FlowExecutor:
    def __init__(self, idp: Authentik) -> None:
        self.idp = idp

    def handle(self, req: Request, slug: str, session: Session) -> Response:
        flow = FLOWS.get(slug)
        if flow is None:
            return Response.json_body(404, {"detail": "Not found."})
        if req.method not in ("GET", "POST"):
            return Response.json_body(405, {"detail": f'Method "{req.method}" not allowed.'})
        plan = session.plan if session.plan is not None and session.plan.flow == slug else None
        if plan is None:
            if flow.needs_login and session.user is None:
                return self._denied(flow, session, None, "Flow does not apply to current user.")
            query = dict(parse_qsl(req.query("query") or "", keep_blank_values=True))
            plan = session.plan = Plan(slug, list(flow.stages), next=query.get("next"))
            if flow.designation == "authentication" and session.user is not None:
                plan.stages.clear()            # already logged in: straight on to ``next``
        if req.method == "POST" and plan.stages and plan.stages[0] in ("identification", "password"):
            return self._solve(req, flow, plan, session)
        return self._advance(flow, plan, session)

    # -- moving through the plan -------------------------------------------------------------------
    def _advance(self, flow: Flow, plan: Plan, session: Session) -> Response:
        while plan.stages:
            stage = plan.stages[0]
            if stage == "user_login" and plan.pending_user is not None:
                self.idp.log_in(session, plan.pending_user)
                plan.stages.pop(0)
            elif stage == "fulfillment" and plan.grant is not None and session.user is not None:
                session.plan = None
                return _redirect(self._fulfil(plan.grant, session.user))
            elif stage in ("identification", "password"):
                return Response.json_body(200, self._challenge(flow, plan, session, stage))
            else:
                return self._denied(flow, session, plan, "Unknown error")
        session.plan = None
        if plan.next and (urlsplit(plan.next).scheme or urlsplit(plan.next).netloc):
            return self._denied(flow, session, plan, "Invalid next URL")
        return _redirect(plan.next or "/")

    def _solve(self, req: Request, flow: Flow, plan: Plan, session: Session) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            return Response.json_body(400, {"detail": "JSON parse error - Expecting value: line 1 column 1 (char 0)"})
        stage = plan.stages[0]
        errors = self._identify(plan, body) if stage == "identification" else self._password(plan, body)
        if errors and errors.get("password", [{}])[0].get("string") == INVALID_PASSWORD:
            plan.failures += 1
            if plan.failures >= MAX_PASSWORD_FAILURES:
                return self._denied(flow, session, plan, INVALID_PASSWORD)
        if errors:
            return Response.json_body(200, self._challenge(flow, plan, session, stage, errors))
        plan.stages.pop(0)
        query = urlencode(parse_qsl(urlsplit(req.target).query, keep_blank_values=True))
        return Response.redirect(f"{req.path}?{query}")

    def _identify(self, plan: Plan, body: dict[str, Any]) -> dict[str, Any]:
        uid = body.get("uid_field")
        if not isinstance(uid, str) or not uid:
            return _error("uid_field", "This field is required." if uid is None else "This field may not be blank.",
                          "required" if uid is None else "blank")
        plan.pending_user, plan.identifier = self.idp.find_user(uid), uid
        return {}

    def _password(self, plan: Plan, body: dict[str, Any]) -> dict[str, Any]:
        password = body.get("password")
        if not isinstance(password, str) or not password:
            return _error("password", "This field is required." if password is None else
                          "This field may not be blank.", "required" if password is None else "blank")
        if not self.idp.password_ok(plan.pending_user, password):
            return _error("password", INVALID_PASSWORD, "invalid")
        return {}

    def _fulfil(self, grant: Grant, user: str) -> str:
        """providers/oauth2/views/authorize.py ``create_response_uri`` (response_mode query)."""
        uri = urlsplit(grant.redirect_uri)
        params: dict[str, Any] = parse_qs(uri.query)
        params["code"] = self.idp.issue_code(grant, user)
        params["state"] = [grant.state]
        return urlunsplit(uri._replace(query=urlencode(params, doseq=True)))

    # -- challenges ----------------------------------------------------------------------------------
    def _challenge(self, flow: Flow, plan: Plan, session: Session, stage: str,
                   errors: dict[str, Any] | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {"flow_info": _flow_info(flow, session)}
        if stage == "identification":
            doc.update(component="ak-stage-identification", user_fields=["email", "username"],
                       password_fields=False, allow_show_password=False, flow_designation=flow.designation,
                       captcha_stage=None, primary_action="Log in", sources=[], show_source_labels=False)
            if session.application:
                doc["application_pre"] = session.application
        else:
            doc.update(component="ak-stage-password", pending_user=plan.identifier, pending_user_avatar=AVATAR,
                       allow_show_password=False)
        if errors:
            doc["response_errors"] = errors
        return doc

    def _denied(self, flow: Flow, session: Session, plan: Plan | None, message: str) -> Response:
        session.plan = None
        return Response.json_body(200, {"flow_info": _flow_info(flow, session), "component": "ak-stage-access-denied",
                                        "pending_user": plan.identifier if plan else "",
                                        "pending_user_avatar": AVATAR, "error_message": message})


def _redirect(to: str) -> Response:
    return Response.json_body(200, {"component": "xak-flow-redirect", "to": to})


def _flow_info(flow: Flow, session: Session) -> dict[str, str]:
    title = flow.title % {"app": session.application or ""} if "%(app)s" in flow.title else flow.title
    return {"title": title, "background": "/static/dist/assets/images/flow_background.jpg",
            "cancel_url": "/flows/-/cancel/", "layout": "stacked"}
