#!/usr/bin/python3
"""An independent SAML 2.0 identity provider for the tests, built on Debian's
python3-pysaml2 (signing and encryption through xmlsec1), in the manner of
pysaml2's own example IdP (example/idp2/idp.py): parse_authn_request, then
create_authn_response, then apply_binding(HTTP-POST).

It is not the product's code and shares nothing with it, so the product is
tried against what another implementation really sends. A test drives it over
HTTP on a loopback port:

  GET  /metadata          the IdP's metadata (entity id, HTTP-Redirect and
                          HTTP-POST sign-in endpoints, signing certificate)
  POST /mode              JSON: how the next responses are made (see MODE)
  GET  /sso/redirect      an AuthnRequest (HTTP-Redirect binding); answers
                          with the auto-posting form a browser would receive
  POST /sso/post          the same for the HTTP-POST binding
  GET  /unsolicited       an IdP-initiated response: ?acs=&sp=&relay_state=
  GET  /last              JSON of the last AuthnRequest received
  GET  /slo/redirect      a LogoutRequest (HTTP-Redirect binding). Like ADFS
                          and Shibboleth by default, it must be signed
                          (SHA-256) by the SP certificate given in the mode
                          ("sp_signing_cert"); answered with a signed
                          LogoutResponse redirect to the mode's "sp_slo_url"
                          (JSON {"location"} with ?format=json), or a 403.
                          A LogoutResponse (to /slo/initiate) is noted and
                          answered with a "signed out" page
  GET  /slo/initiate      an IdP-initiated logout (the person signs out at the
                          IdP): a signed (SHA-256) LogoutRequest for ?name_id=
                          redirected to the mode's "sp_slo_url"
  GET  /last-logout-response  the last LogoutResponse received, as JSON

Add ?format=json (or Accept: application/json) to get
{"action", "SAMLResponse", "RelayState"} instead of HTML, for HTTP clients.
Started with: --entity-id ID --key key.pem --cert cert.pem [--next-key
next.pem --next-cert next-cert.pem] [--port 0]; prints one JSON line
{"port": N} on stdout once it listens. The next key is for a certificate
rollover: the mode's "publish_next" adds its certificate to the metadata,
"sign_with_next" signs with it.
"""
import argparse
import base64
import json
import sys
import threading
import traceback
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

# Debian's package, whatever python3 a developer's PATH prefers.
sys.path.insert(0, "/usr/lib/python3/dist-packages")

import saml2.assertion  # noqa: E402
import saml2.samlp  # noqa: E402
import saml2.entity  # noqa: E402
import saml2.sigver  # noqa: E402
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml, xmldsig  # noqa: E402
from saml2.config import IdPConfig  # noqa: E402
from saml2.metadata import create_metadata_string  # noqa: E402
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID  # noqa: E402
from saml2.server import Server  # noqa: E402

# What a test can choose. Unknown keys are refused so a typo fails loudly.
MODE_DEFAULTS = {
    "sign_response": True,
    "sign_assertion": True,
    "alg": "sha256",  # or "sha1"
    "encrypt": False,
    "encrypt_cert": None,  # PEM of the SP's encryption certificate
    "block_cipher": "aes256-cbc",  # what Entra ID and ADFS use; or "aes128-gcm", "tripledes-cbc"
    # [{"name", "name_format"?, "friendly_name"?, "values": [...]}]
    "attributes": [],
    "name_id": None,  # {"text", "format"?}; default: the first value of an email-like attribute
    "issuer": None,  # sign a response that claims another Issuer
    "destination": None,  # Response Destination other than the request's ACS
    "recipient": None,  # SubjectConfirmationData Recipient other than the request's ACS
    "audience": None,  # AudienceRestriction other than the request's Issuer
    "in_response_to": None,  # answer another request id
    "sp_signing_cert": None,  # PEM of the SP's signing certificate: LogoutRequests must verify against it
    "sp_slo_url": None,  # where the LogoutResponse goes (the SP's HTTP-Redirect SingleLogoutService)
    "publish_next": False,  # the metadata lists the next signing certificate too (a rollover announced)
    "sign_with_next": False,  # responses and logout messages are signed with the next key (the rollover done)
}

STATE = {"mode": dict(MODE_DEFAULTS), "last_request": None, "last_logout": None, "last_logout_response": None}
LOCK = threading.Lock()
SERVERS = {}


def build_attributes(_acs, _ava, _name_format):
    """Replaces pysaml2's attribute conversion: the test gives the exact names
    and name formats an IdP product sends (Entra claim URIs, urn:oid: with
    FriendlyName, bare friendly names)."""
    attrs = []
    for spec in STATE["mode"]["attributes"]:
        attrs.append(
            saml.Attribute(
                name=spec["name"],
                name_format=spec.get("name_format") or saml.NAME_FORMAT_UNSPECIFIED,
                friendly_name=spec.get("friendly_name"),
                attribute_value=[saml.AttributeValue(text=str(v)) for v in spec.get("values", [])],
            )
        )
    return attrs


saml2.assertion.from_local = build_attributes

_setup_assertion = Server.setup_assertion


def setup_assertion(self, *args, **kwargs):
    """Applies the forged fields a test asked for before the IdP signs, so the
    signature is valid and only the product's own checks stand in the way."""
    assertion = _setup_assertion(self, *args, **kwargs)
    mode = STATE["mode"]
    if mode["recipient"]:
        for sc in assertion.subject.subject_confirmation:
            sc.subject_confirmation_data.recipient = mode["recipient"]
    if mode["audience"]:
        for ar in assertion.conditions.audience_restriction:
            for a in ar.audience:
                a.text = mode["audience"]
    return assertion


Server.setup_assertion = setup_assertion
# The SP is not in this IdP's metadata store: the test hands over the SP's
# encryption certificate (read from the SP's published metadata) per mode.
Server.has_encrypt_cert_in_metadata = lambda self, sp_entity_id: False

_pre_encryption_part = saml2.entity.pre_encryption_part


def pre_encryption_part(**kwargs):
    """pysaml2 defaults to triple DES; the test chooses the block cipher."""
    cipher = STATE["mode"]["block_cipher"]
    return _pre_encryption_part(msg_enc=f"http://www.w3.org/{'2009/xmlenc11' if 'gcm' in cipher else '2001/04/xmlenc'}#{cipher}", **kwargs)


saml2.entity.pre_encryption_part = pre_encryption_part
_encrypt_assertion = saml2.sigver.SecurityContext.encrypt_assertion


def encrypt_assertion(self, statement, enc_key, template, key_type=None, node_xpath=None):
    cipher = STATE["mode"]["block_cipher"]
    session_key = "des-192" if cipher.startswith("tripledes") else f"aes-{cipher[3:6]}"
    return _encrypt_assertion(self, statement, enc_key, template, key_type=session_key, node_xpath=node_xpath)


saml2.sigver.SecurityContext.encrypt_assertion = encrypt_assertion


def make_server(args, base, key, cert, extra_certs=None):
    config = IdPConfig()
    config.load(
        {
            "entityid": args.entity_id,
            "key_file": key,
            "cert_file": cert,
            "additional_cert_files": extra_certs,
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "metadata": {},
            "service": {
                "idp": {
                    "name": "pysaml2 test IdP",
                    "endpoints": {
                        "single_sign_on_service": [
                            (f"{base}/sso/redirect", BINDING_HTTP_REDIRECT),
                            (f"{base}/sso/post", BINDING_HTTP_POST),
                        ],
                        "single_logout_service": [(f"{base}/slo/redirect", BINDING_HTTP_REDIRECT)],
                    },
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    # Requests are not signed by the product, and the SP is not in this IdP's metadata.
                    "want_authn_requests_signed": False,
                    "policy": {"default": {"lifetime": {"minutes": 15}, "attribute_restrictions": None}},
                },
            },
            "encryption_keypairs": [{"key_file": args.key, "cert_file": args.cert}],
        }
    )
    return Server(config=config)


def response_for(idp, in_response_to, acs, sp_entity_id, relay_state):
    mode = STATE["mode"]
    sha1 = mode["alg"] == "sha1"
    name_id_spec = mode["name_id"]
    if not name_id_spec:
        email = next((a["values"][0] for a in mode["attributes"] if a.get("values") and "@" in str(a["values"][0])), "nobody@example.invalid")
        name_id_spec = {"text": email, "format": NAMEID_FORMAT_EMAILADDRESS}
    name_id = NameID(
        text=name_id_spec["text"],
        format=name_id_spec.get("format") or NAMEID_FORMAT_EMAILADDRESS,
        sp_name_qualifier=sp_entity_id,
    )
    destination = mode["destination"] or acs
    resp = idp.create_authn_response(
        {"placeholder": ["see build_attributes"]},
        mode["in_response_to"] if mode["in_response_to"] is not None else in_response_to,
        destination,
        sp_entity_id,
        name_id=name_id,
        issuer=mode["issuer"],
        authn={"class_ref": saml.AUTHN_PASSWORD_PROTECTED, "authn_auth": idp.config.entityid},
        sign_response=mode["sign_response"],
        sign_assertion=mode["sign_assertion"],
        encrypt_assertion=mode["encrypt"],
        encrypt_cert_assertion=mode["encrypt_cert"],
        sign_alg=xmldsig.SIG_RSA_SHA1 if sha1 else xmldsig.SIG_RSA_SHA256,
        digest_alg=xmldsig.DIGEST_SHA1 if sha1 else xmldsig.DIGEST_SHA256,
    )
    # The form posts to the request's ACS even when the Destination inside is forged.
    http = idp.apply_binding(BINDING_HTTP_POST, str(resp), acs, relay_state, response=True)
    return {
        "action": acs,
        "SAMLResponse": base64.b64encode(str(resp).encode("utf-8")).decode("ascii"),
        "RelayState": relay_state or "",
        "html": http["data"],
    }


def servers():
    """The IdP as it signs now (its current key, or the next after a rollover)."""
    mode = STATE["mode"]
    return SERVERS["next"] if mode["sign_with_next"] else SERVERS["current"]


def metadata_config():
    """What the metadata lists: the current certificate, the next beside it once announced, the next alone once retired."""
    mode = STATE["mode"]
    if mode["publish_next"] and "announced" in SERVERS:
        return SERVERS["announced"].config
    return servers().config


def logout_response(query):
    """Notes the SP's LogoutResponse to a logout this IdP started (as its signed-out page would)."""
    # Read as it comes (deflated, base64): the SP is not in this IdP's metadata store for pysaml2 to check it against.
    resp = saml2.samlp.logout_response_from_string(zlib.decompress(base64.b64decode(query["SAMLResponse"][0]), -15).decode("utf-8"))
    STATE["last_logout_response"] = {
        "in_response_to": resp.in_response_to,
        "issuer": resp.issuer.text if resp.issuer is not None else None,
        "status": resp.status.status_code.value,
        "signed": "Signature" in query,
    }
    return "<!DOCTYPE html><html lang=en><title>Signed out</title><h1>You have signed out at the identity provider</h1></html>"


def initiate_logout(query):
    """The person signs out at the IdP: a signed LogoutRequest to the SP's single logout URL."""
    mode = STATE["mode"]
    idp = servers()
    name_id = NameID(text=query["name_id"][0], format=query.get("name_id_format", [NAMEID_FORMAT_EMAILADDRESS])[0])
    _req_id, req = idp.create_logout_request(mode["sp_slo_url"], query.get("sp", [None])[0], name_id=name_id, sign=False)
    http = idp.apply_binding(BINDING_HTTP_REDIRECT, str(req), mode["sp_slo_url"], query.get("relay_state", [""])[0], sign=True, sigalg=xmldsig.SIG_RSA_SHA256)
    return dict(http["headers"])["Location"]


def logout_request(idp, query):
    """A LogoutRequest by HTTP-Redirect, refused unless signed by the SP's
    certificate with SHA-256 (as ADFS and Shibboleth require by default)."""
    mode = STATE["mode"]
    msg = {k: v[0] for k, v in query.items() if k in ("SAMLRequest", "RelayState", "SigAlg", "Signature")}
    if "Signature" not in msg or "SigAlg" not in msg:
        return 403, {"error": "unsigned LogoutRequest"}
    if msg["SigAlg"] != xmldsig.SIG_RSA_SHA256:
        return 403, {"error": f"LogoutRequest signed with {msg['SigAlg']}"}
    # pysaml2 wants the certificate's base64 body (it adds the PEM armour itself).
    cert_body = "".join(line for line in (mode["sp_signing_cert"] or "").splitlines() if line and not line.startswith("-----"))
    if not cert_body or not saml2.sigver.verify_redirect_signature(msg, idp.sec.sec_backend, cert=cert_body):
        return 403, {"error": "LogoutRequest signature does not verify against the SP's signing certificate"}
    req = idp.parse_logout_request(msg["SAMLRequest"], BINDING_HTTP_REDIRECT).message
    STATE["last_logout"] = {
        "id": req.id,
        "issuer": req.issuer.text if req.issuer is not None else None,
        "name_id": req.name_id.text if req.name_id is not None else None,
        "session_index": [si.text for si in (req.session_index or [])],
        "destination": req.destination,
    }
    resp = idp._status_response(
        saml2.samlp.LogoutResponse, idp._issuer(), None, False, in_response_to=req.id, destination=mode["sp_slo_url"]
    )
    http = idp.apply_binding(BINDING_HTTP_REDIRECT, str(resp), mode["sp_slo_url"], msg.get("RelayState", ""), response=True, sign=True, sigalg=xmldsig.SIG_RSA_SHA256)
    return 200, {"location": dict(http["headers"])["Location"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--entity-id", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--next-key")
    parser.add_argument("--next-cert")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def send(self, status, body, content_type):
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def wants_json(self, query):
            return query.get("format", [""])[0] == "json" or "application/json" in (self.headers.get("Accept") or "")

        def answer(self, query, result):
            if self.wants_json(query):
                self.send(200, json.dumps({k: v for k, v in result.items() if k != "html"}), "application/json")
            else:
                self.send(200, result["html"], "text/html; charset=utf-8")

        def authn_request(self, saml_request, binding, relay_state, query):
            with LOCK:
                req = servers().parse_authn_request(saml_request, binding)
                msg = req.message
                STATE["last_request"] = {
                    "id": msg.id,
                    "issuer": msg.issuer.text if msg.issuer is not None else None,
                    "acs": msg.assertion_consumer_service_url,
                    "destination": msg.destination,
                    "relay_state": relay_state,
                }
                result = response_for(servers(), msg.id, msg.assertion_consumer_service_url, msg.issuer.text, relay_state)
            self.answer(query, result)

        def do_GET(self):
            url = urlparse(self.path)
            query = parse_qs(url.query)
            one = lambda k: query.get(k, [None])[0]  # noqa: E731
            try:
                if url.path == "/metadata":
                    self.send(200, create_metadata_string(None, metadata_config(), 4, None, None, None, None, None).decode("utf-8"), "application/samlmetadata+xml")
                elif url.path == "/sso/redirect":
                    self.authn_request(one("SAMLRequest"), BINDING_HTTP_REDIRECT, one("RelayState"), query)
                elif url.path == "/unsolicited":
                    with LOCK:
                        result = response_for(servers(), None, one("acs"), one("sp"), one("relay_state"))
                    self.answer(query, result)
                elif url.path == "/last":
                    self.send(200, json.dumps(STATE["last_request"]), "application/json")
                elif url.path == "/last-logout":
                    self.send(200, json.dumps(STATE["last_logout"]), "application/json")
                elif url.path == "/last-logout-response":
                    self.send(200, json.dumps(STATE["last_logout_response"]), "application/json")
                elif url.path == "/slo/initiate":
                    with LOCK:
                        location = initiate_logout(query)
                    self.send_response(302)
                    self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif url.path == "/slo/redirect" and "SAMLResponse" in query:
                    with LOCK:
                        page = logout_response(query)
                    self.send(200, page, "text/html; charset=utf-8")
                elif url.path == "/slo/redirect":
                    with LOCK:
                        status, result = logout_request(servers(), query)
                    if self.wants_json(query) or status != 200:
                        self.send(status, json.dumps(result), "application/json")
                    else:
                        self.send_response(302)
                        self.send_header("Location", result["location"])
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                else:
                    self.send(404, "not found", "text/plain")
            except Exception as err:  # a test must see why, not a hung request
                self.send(500, traceback.format_exc(), "text/plain")

        def do_POST(self):
            url = urlparse(self.path)
            query = parse_qs(url.query)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            try:
                if url.path == "/mode":
                    wanted = json.loads(body or "{}")
                    unknown = set(wanted) - set(MODE_DEFAULTS)
                    if unknown:
                        return self.send(400, f"unknown mode keys: {sorted(unknown)}", "text/plain")
                    with LOCK:
                        STATE["mode"] = {**MODE_DEFAULTS, **wanted}
                    self.send(204, "", "text/plain")
                elif url.path == "/sso/post":
                    form = parse_qs(body)
                    self.authn_request(form.get("SAMLRequest", [None])[0], BINDING_HTTP_POST, form.get("RelayState", [None])[0], query)
                else:
                    self.send(404, "not found", "text/plain")
            except Exception:
                self.send(500, traceback.format_exc(), "text/plain")

    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    port = httpd.server_address[1]
    base = f"http://127.0.0.1:{port}"
    SERVERS["current"] = make_server(args, base, args.key, args.cert)
    if args.next_key and args.next_cert:
        SERVERS["announced"] = make_server(args, base, args.key, args.cert, [args.next_cert])
        SERVERS["next"] = make_server(args, base, args.next_key, args.next_cert)
    else:
        SERVERS["next"] = SERVERS["current"]
    print(json.dumps({"port": port}), flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
