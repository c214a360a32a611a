"""Does a sentence put the cause on an individual?  (Pure: text in, findings out.)

A postmortem names people (who paged whom, who rolled back); it must not
make a person the cause.  A sentence is flagged when an individual — a
mention, a known name, a capitalised name, "he"/"she", or a person noun
such as "the on-call engineer" — is the subject of failing, forgetting,
breaking or "should have", is the owner of "the mistake", is the agent of
a fault ("caused by @bob"), or when the cause is "human error".  People
doing their part ("Alice rolled back the deploy"), systems failing
("Kubernetes failed to schedule the pods") and people things happened to
("Bob was not paged") are not flagged.

The rules are deliberately about grammar, not about any particular text:
who is the subject, and what the predicate says about them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_TOKEN = re.compile(
    r"`[^`]*`|@[\w.\-]+|\.[A-Za-z]\w*|[^\W\d_][\w\-]*(?:['’][a-z]{1,2}){0,2}|\d[\w:%.,]*|[.,;:!?()\"“”—–]"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z@\"“(])|\n+")

PRONOUNS = {"he", "she", "i"}
DETERMINERS = {"the", "a", "an", "our", "one", "another", "this", "that", "their", "whichever"}
PERSON_NOUNS = _words(
    """
    producer implementer member eng tech techs l1 l2 l3 noc approver requester submitter
    commander controller dispatcher teller clerk nurse doctor pharmacist agent rep representative cashier
    driver courier supervisor physician accountant auditor lawyer pilot mechanic
    scientist researcher designer architect consultant specialist coordinator assistant officer executive
    director cto ceo founder freelancer maintainer volunteer student trainee electrician
    admin administrator analyst author colleague committer contractor dba deployer dev developer
    employee engineer engineers hire human individual intern lead manager on-call on-caller oncall
    oncaller operator owner person programmer responder reviewer sre staffer sysadmin teammate
    technician tester
    """
)
PERSON_WORDS = {"someone", "somebody", "whoever"}
MODIFIERS = _words(
    """
    assigned backend database devops former frontend infra infrastructure junior lead network new
    on-call oncall ops original other platform previous primary release responsible same secondary
    security senior sre support tech
    """
)
AUXILIARIES = _words(
    """
    really certainly definitely allegedly reportedly
    actually again also apparently clearly did does evidently first had has have is just later
    obviously once probably repeatedly simply still then ultimately was were
    """
)
CARELESS_ADVERBS = _words(
    """
    accidentally blindly carelessly erroneously foolishly hastily inadvertently incorrectly lazily
    mistakenly negligently recklessly sloppily stupidly wrongly
    """
)
# Things whose capitalised names read like first names but are systems.
SYSTEMS = _words(
    """
    airflow akamai alertmanager ansible apache api apigee argo argocd artifactory auth0 aws azure
    bamboo beam bgp bigquery bitbucket buildkite caddy calico cassandra cd cdn celery ceph certbot chef
    ci cilium circleci clickhouse cloudflare cockroach cockroachdb confluence consul coredns cortex
    couchbase couchdb cron crossplane datadog dex discord django dns docker druid dynamodb ec2 elastic
    elasticsearch envoy envoyproxy etcd fastly firebase flask flink fluentd flux gcp github gitlab go
    grafana graylog hadoop haproxy harbor helm heroku hive hudson icinga ingress istio jaeger java
    jenkins jira k8s kafka karpenter keycloak kibana kong kubernetes lambda letsencrypt linkerd linux
    logstash loki lucene mariadb matrix memcached mimir minio mongo mongodb mysql nagios nats netlify
    nexus nginx nginx-ingress node nomad octopus okta openshift opsgenie oracle pagerduty pingdom
    postgres postgresql presto prometheus pubsub pulsar puppet python quay rabbitmq rails rancher rds
    redis riak ruby rust s3 scylla sendgrid sensu sentry sidekiq slack snowflake sns solr sonar spark
    spinnaker splunk spring sqs statuspage stripe systemd teamcity tempo terraform thanos tidb tomcat
    traefik travis trino twilio tyk uptime varnish vault vector vercel vitess windows yugabyte zabbix
    zookeeper
    """
)
# Words that start sentences capitalised and are not names.
NOT_NAMES = _words(
    """
    a about action after again alerts all also although an and any anyone april are as at august
    because before both but by capacity cause code could cpu customers december deployments deploys did
    disk does during each earlier errors even every everybody everyone february finally for friday from
    fyi had has have he her here his how however i if imo impact in instead is it its january july june
    just latency later lol march may meanwhile memory monday monitoring my no nobody none not note
    nothing november october of ok on once only our production review root saturday september she
    should since so some staging still summary sunday tbh thanks that the their then there these they
    this those though thursday timeline to today traffic tuesday ugh until update users was we
    wednesday well were what when where which while who whoever why with would yes yesterday you your
    """
)

# Predicates that only people do: any person-like subject is enough.
_HUMAN_ONLY = re.compile(
    r"^(?:"
    r"forg[eo]t(?:s|ten)?\b|neglect(?:ed|s)?\b|overlook(?:ed|s)?\b|ignor(?:ed|es)\b"
    r"|should(?:n['’]t| not| never)? have\b(?! to\b)|should(?:n['’]t)?['’]ve\b(?! to\b)"
    r"|ought(?:n['’]t| not)? to have\b"
    r"|(?:was|were) supposed to \w+(?: \w+){0,6}?,? (?:and|but) (?:didn['’]t|did not|never|forgot)\b"
    r"|failed to (?!be\b|get\b|receive\b|reach\b)[a-z]+\b|silenced (?:it|them|the (?:page|alert|pager)s?)\b"
    r"|went back to sleep\b|(?:unplugged|powered off|pulled the plug)\b"
    r"|(?:overrode|overrides|overrode|disregarded|ignored) (?:the |a |an |our )?(?:[\w\-]+ )?(?:pause|lock"
    r"|freeze"
    r"|block|check|alert|alarm|warning|guard|policy|rule|limit)s?\b"
    r"|chose not to\b|decided not to (?:follow|wait|test|check|escalate|tell)\b"
    r"|(?:committed|pushed|uploaded|published|posted|pasted|shared) (?:the |a |an |our )?(?:[\w.\-]+ ){0,3}"
    r"(?:to|in|on) (?:a |the )?public\b"
    r"|hard-?coded\b|(?:commented|commenting) out\b|leaked\b|exposed (?:the |our )?(?:\w+ )?(?:credentials"
    r"|secrets?"
    r"|keys?|passwords?|tokens?|data)\b|committed (?:the |our )?(?:\w+ )?(?:credentials|secrets?|keys?"
    r"|passwords?|tokens?)\b"
    r"|could(?:['’]ve| have) (?:prevented|avoided|caught|stopped)\b|force[- ]?push(?:ed|es)?\b"
    r"|(?:was|were|is|are|had been|has been) (?:so |very |too |being )?(?:careless|negligent|sloppy|lazy"
    r"|reckless"
    r"|irresponsible|incompetent|inattentive)\b"
    r"|made (?:a |an |the |another |several |two |some )?(?:\w+ )?(?:mistakes?|errors?|blunders?|typos?"
    r"|slip)\b"
    r"|messed up\b|screwed up\b|botched\b|fat[- ]?fingered\b|mistyped\b|misread\b|misconfigured\b|misjudged\b"
    r"|mishandled\b|misunderstood\b|fumbled\b|goofed\b|rushed\b|panicked\b"
    r"|missed (?:an? |the |several |two |some )?(?:\w+ )?(?:bugs?|errors?|alerts?|issues?|problems?"
    r"|warnings?|pages?"
    r"|signs?|regressions?|typos?|steps?|deadline|alarms?|tickets?)\b"
    r"|(?:did not|didn['’]t|never) bother(?:ed)?\b"
    r"|(?:is|was) (?:to blame|at fault|the (?:cause|culprit))\b"
    r"|(?:is|was) responsible for (?:the |this |that )?(?:outage|incident|failure|breakage|downtime|data loss"
    r"|loss|mistake|error|problem|bug|mess)\b"
    r"|(?:skip(?:ped|s)?|bypass(?:ed|es)?|circumvent(?:ed|s)?) (?:the |a |an |our |all |any |every )?"
    r"(?:[\w\-]+ ){0,2}?(?:reviews?|tests?|checks?|canary|approvals?|dry[- ]?runs?|smoke tests?|qa|stages?"
    r"|steps?|backups?|verification|pre-?flight|checklists?|rollout plan|sign-?off|validation|process|suites?"
    r"|pass|passes|runs?"
    r"|procedure|runbook|staging)\b"
    r"|(?:broke|crashed) (?!down\b|again\b|repeatedly\b|because\b|when\b|after\b|during\b|under\b|overnight\b"
    r"|twice\b|in\b|on\b|at\b|while\b|with\b|and\b|as\b|due\b)[a-z]"
    r"|(?:took down|brought down|knocked over|corrupted|wiped|trashed|nuked|took out)\b"
    r"|caused (?:the |this |that |an |a )?(?:\w+ )?(?:outage|incident|failure|downtime|problem|issue"
    r"|breakage|loss)\b"
    r"|introduced (?:the |a |this |that )?(?:\w+ )?(?:bug|regression|error|defect|problem|issue|fault)\b"
    r")"
)
_HUMAN_ACTIONS = (
    r"notice|check|test|verify|review|follow|read|escalate|update|communicate|tell|inform|ask|wait|look"
    r"|monitor|validate|confirm|document|consider|realize|realise|catch|run|respond|reply|answer|act|rotate"
    r"|renew|double-check|coordinate|report|announce|page|acknowledge|ack|lock|back ?up|restore|plan|prepare"
    r"|handle|remember|investigate|watch|heed|raise|flag|warn|mention|share|hand ?over|approve"
)
_NOT_RECEIVING = (  # what happens to someone is not their omission
    r"(?!(?:get|got|receive|received|see|saw|hear|heard|know|knew|have|had|need|want|mean|expect|reach"
    r"|reached)\b)"
)
_OMISSION = re.compile(
    rf"^(?:(?:did not|didn['’]t|never) {_NOT_RECEIVING}(?:bother|set up|add|configure|enable|tell|merge"
    rf"|deploy"
    rf"|write|fix|patch|upgrade|migrate|remove|clean up|turn on|turn off|roll back|revert|submit|file|open"
    rf"|close"
    rf"|schedule|book|include|apply|push|run|use|consult|involve|loop in|call|contact|notify|alert|page"
    rf"|warn)\b"
    rf"|never {_NOT_RECEIVING}(?:set|added|configured|enabled|told|merged|wrote|fixed|patched|upgraded"
    rf"|migrated"
    rf"|removed|turned|rolled|reverted|submitted|filed|opened|closed|scheduled|included|applied|pushed|used"
    rf"|consulted|involved|looped|called|contacted|notified|alerted|paged|warned)\b"
    rf"|(?:did not|didn['’]t|never|failed to|forgot to|neglected to|refused to|couldn['’]t be bothered to)"
    rf" (?:properly |even |actually |fully |carefully )?(?:{_HUMAN_ACTIONS})"
    rf"|never (?:{_HUMAN_ACTIONS})(?:ed|d)?)\b"
)
_JUDGED = re.compile(
    r"^(?:deployed|pushed|merged|ran|typed|shipped|applied|committed|released|entered|used|chose|picked"
    r"|selected|configured|set|edited|changed|deleted|dropped|removed|restarted|rolled (?:out|forward)"
    r"|approved|ran|executed|put|sent|wrote|gave|flipped|enabled|disabled|started|stopped|killed|pointed)"
    r" (?:\w+ ){0,2}?(?:a |an |the |some )?(?:broken|bad|buggy|faulty|wrong|untested|incorrect|invalid"
    r"|unreviewed"
    r"|unapproved|half-baked|dangerous|risky|destructive|malformed)\b"
)
_DESTRUCTIVE = re.compile(
    r"^(?:deleted|dropped|destroyed|truncated|overwrote|erased|purged|wiped|removed|disabled|killed"
    r"|turned off"
    r"|switched off|silenced|muted) (?:out )?(?:the |a |an |our |every |all |two "
    r"|several )?(?:[\w\-]+ ){0,3}?"
    r"(?:production|prod|primary|live|users|customers?|orders|main|master|index|indexes|indices|table|tables"
    r"|namespace|bucket|volume|database|db|alerts?|monitors?|monitoring|backups?|queue|topic|cluster|keys?"
    r"|records|rows|data|sessions|branch|repo|repository|secrets?|checks?|tests?|test suite|guard|limiter"
    r"|breaker|replica|replication|failover)\b"
)
_FAULT_NOUNS = (
    r"mistake|error|typo|fault|carelessness|negligence|oversight|blunder|slip|slip-up|screw-?up|mess-?up"
    r"|fuck-?up|fat-?finger|fat finger|goof|lapse|misstep|bad call"
)
_POSSESSED_FAULT = re.compile(
    rf"^(?:(?:\w+ )?(?:{_FAULT_NOUNS})|(?:careless|sloppy|hasty|rushed|bad|broken|wrong|faulty|reckless"
    rf"|untested"
    r"|botched|misconfigured|mistaken|erroneous|buggy|incorrect|unreviewed|lazy)\b"
    r"|(?:\w+ )?(?:commit|change|deploy|deployment|config|push|merge|edit|script|query|command|pr)"
    r" (?:broke|took down|brought down|caused|corrupted|crashed|deleted|dropped)\b)"
)
_BLAMING_BY = re.compile(
    rf"(?:(?:sits|rests|lies|is) (?:squarely |entirely |solely )?with|(?:comes|came|boils|boiled|is"
    rf"|was) down to|(?:{_FAULT_NOUNS})(?: that)?"
    rf"|because of|due to|blame (?:it )?on|(?:the )?fault of|caused by|broken by|(?:{_FAULT_NOUNS}) on"
    r"|(?:outage|incident|failure|this|that|it|blame) (?:is|was|lies|rests) (?:all |entirely )?(?:on|with)"
    r"|(?:error|mistake|errors|mistakes|typo|slip) (?:made )?by|introduced by|triggered by|deleted by"
    r"|dropped by)"
    r" $"
)
# "… was overlooked by Olga": a passive whose agent is a person; blame when the act itself is harmful,
# the thing acted on was bad, or the sentence goes on to the harm it did.
_PASSIVE_BY = re.compile(
    r"\b(?:was|were|been|got|is|are) (?:(?:accidentally|mistakenly|incorrectly|wrongly|erroneously|carelessly"
    r"|also|then|just|later|apparently"
    r"|repeatedly|again|carelessly|quietly|manually) )?(?P<verb>[a-z\-]+)(?: (?:down|out|over|up|through"
    r"|in))?"
    r"(?: [\w\-]+){0,4}? by $"
)
_HARMFUL_ACTS = re.compile(
    r"^(?:overlooked|ignored|missed|broken|deleted|dropped|purged|wiped|corrupted|misconfigured|disabled|shut"
    r"|killed|truncated|overwritten|destroyed|removed|botched|forgotten|neglected|skipped|bypassed|introduced"
    r"|caused|triggered|mistyped|misread|mishandled|force-pushed|reverted)$"
)
_GOOD_ACTS = re.compile(
    r"^(?:rolled|fixed|restored|reverted|detected|noticed|caught|reported|approved|resolved|mitigated|found"
    r"|diagnosed|escalated|acknowledged|paged|led|coordinated|reviewed|tested|verified|investigated|written"
    r"|handled|recovered|repaired|spotted|flagged|raised|declared|closed|updated|documented|confirmed|helped"
    r"|asked|notified|told|alerted|contacted|woken|called)$"
)
_BAD_THING = re.compile(
    rf"\b(?:bad|broken|buggy|faulty|wrong|untested|unreviewed|invalid|incorrect|malformed|{_FAULT_NOUNS})\b"
)
_CONSEQUENCE = re.compile(
    r"(?:, (?:duplicating|causing|breaking|taking|bringing|deleting|corrupting|dropping|wiping|locking"
    r"|leaving|blocking|flooding|filling|exposing|leaking|sending|enabling|disabling|expiring|overloading"
    r"|killing|overwriting|resulting in|leading to)"
    r"|\bwhich (?:caused|broke|took|brought|led)|\bin violation of|\bagainst (?:the )?(?:policy|process"
    r"|rules)"
    r"|\bwithout (?:\w+ )?(?:approval|review|telling|asking|testing|checking|permission|a review|any review"
    r"|warning|a ticket|a change request|a plan|a rollback plan|notice|a change ticket|sign-off|staging"
    r"|running"
    r"|authori[sz]ation)"
    r"|\bby (?:mistake|accident)|\bin error\b|\bduring (?:peak|the freeze|a freeze|the change freeze))"
)
# What a person's act did, told later in the sentence: "…, which flooded the logs and filled the disk".
_HARM = re.compile(
    r"\b(?:broke|breaking|took down|taking down|brought down|bringing down|wiped|wiping|deleted|deleting"
    r"|corrupted|corrupting|flooded|flooding|filled|filling|backed up|backing up|blocked|blocking|locked"
    r"|locking|expired|expiring|crashed|crashing|caused|causing|lost|losing|exposed|exposing|leaked|leaking"
    r"|duplicated|duplicating|overloaded|overloading|knocked out|took out|sent \d+%|paged everyone|outage"
    r"|bricked|bricking|inflated|routed (?:\S+ ){0,8}?to the sandbox|dropped our|which is why|unavailable"
    r"|spread"
    r"|returned 5\d\ds?|charged \w+ twice)\b"
)
_JUDGEMENT = re.compile(
    r"\b(?:wrong|broken|bad|buggy|faulty|untested|incorrect|invalid|unreviewed|malformed)\b"
    r"|\binstead of (?:the|a|an)\b"
)
# Verbs that never make their subject the cause: perceiving, fixing, receiving, being.
_INNOCENT_VERBS = re.compile(
    r"^(?:noticed|found|spotted|saw|detected|reported|identified|reverted|fixed|caught|flagged|rolled"
    r"|restored"
    r"|repaired|diagnosed|escalated|acknowledged|acked|paged|asked|warned|raised|declared|led|coordinated"
    r"|helped"
    r"|investigated|traced|confirmed|verified|tested|checked|reviewed|approved|wrote|documented|explained"
    r"|had|has|got|received|was|were|is|knew|heard|tried|attempted|suggested|proposed|pointed|mentioned"
    r"|removed"
    r"|replaced|recovered|cleaned|mitigated|resolved|closed|opened|joined|followed|did|said|told)$"
)
_FAULT_WORDS = re.compile(r"\b(?:outage|incident|bug|mistake|error|failure|broken|bad|wrong|caus\w*|fault)\b")
_DENIED = re.compile(r"(?:\bnot|n['’]t|\bnever|\bno longer|\brather than|\binstead of)\b[^.;]*$")
_DENIED_AFTER = re.compile(r"^\s*(?:(?:is|was)\s+(?:not|never)|isn['’]t|wasn['’]t)\b")
_FRAMED = re.compile(  # blame mentioned to be set aside
    r"\b(?:easy|tempting|unfair|wrong|unhelpful|pointless) to (?:say|blame|conclude|think)"
    r"|\bone (?:could|might) (?:say|argue)|\brather than blam|\binstead of blam|\bnot (?:about|because of)"
    r"|\bnobody (?:is|was) to blame|^(?:saying|claiming|arguing|suggesting|to say)\b|\bblaming\b"
)
_OWN_FAULT = re.compile(rf"\b(my|his|her) (?:own )?(?:{_FAULT_NOUNS})\b")
_HUMAN_ERROR = re.compile(r"\b(?:human|operator|user|pilot|engineer|developer)['’]?s? error\b")
_COUNTERFACTUAL = re.compile(r"\bif (?:only )?$")
_CARELESS_PHRASE = re.compile(
    r"\b(?:by (?:mistake|accident)|in error|without (?:a |any )?(?:reading|checking|testing|reviewing|telling"
    r"|asking|consulting|notifying|waiting|thinking|looking|approval|review|permission|warning|verifying"
    r"|confirming|a second pair of eyes|a rollback plan|a backup|a ticket|a second reviewer|a review|running"
    r"|staging|a dry run|a where clause|a limit|a snapshot|a transaction|backing up|a change ticket"
    r"|a change request|sign-off|telling anyone|asking anyone))\b"
    r"|\b(?:during|in the middle of) (?:the )?(?:peak|freeze|change freeze|code freeze|business hours)\b"
)
_INITIALS = re.compile(r"[A-Z]{2,3}")
_AUXILIARY_LIKE = re.compile(
    r"^(?:should|could|would|did|does|do|had|has|have|was|were|is|never|can|cannot|will|won['’]t|must|may"
    r"|might)"
)
_CLAUSE_BREAK = _words(
    """
    " ( ) : ; after although because before but since so that though until when whereas whether which
    while “ ”
    """
)


MAX_SENTENCE = 600  # characters of one sentence that are read: prose, not a pasted log


@dataclass(frozen=True, slots=True)
class Finding:
    sentence: str
    who: str  # the individual the sentence makes the cause
    why: str  # the pattern, in words

    @property
    def suggestion(self) -> str:
        return (
            f"“{self.sentence}” makes {self.who} the cause ({self.why}). Ask what made it possible and "
            "write that instead, e.g. “Nothing required …” or “The tooling allowed …”."
        )


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


class Checker:
    """Flags blaming sentences; ``people`` are names known to be people (display names, keys)."""

    def __init__(self, people: Iterable[str] = ()) -> None:
        self.people = {p.lower().lstrip("@") for p in people if p}

    def check(self, text: str) -> list[Finding]:
        found = []
        for sentence in sentences(text):
            finding = self.sentence(sentence)
            if finding is not None:
                found.append(finding)
        return found

    def sentence(self, sentence: str) -> Finding | None:
        tokens = _TOKEN.findall(sentence)
        lower = [t.lower() for t in tokens]
        sentence = sentence[:MAX_SENTENCE]
        text = sentence.lower()
        said = _HUMAN_ERROR.search(text)
        if (
            said
            and not _DENIED.search(text[max(0, said.start() - 120) : said.start()])
            and not _DENIED_AFTER.match(text[said.end() :])
        ):
            return Finding(sentence, "a person", "“human error” as a cause")
        owned = _OWN_FAULT.search(text)
        window = text[max(0, owned.start() - 120) : owned.start()] if owned else ""
        if owned and not _DENIED.search(window) and not _FRAMED.search(window):
            return Finding(sentence, owned.group(1), "their mistake")
        for start, end, who in self._people(tokens, lower):
            if _FRAMED.search(" ".join(lower[:start])):
                continue  # "it would be easy to say the DBA made a mistake, but …": blame rejected
            before = " ".join(lower[max(0, start - 4) : start]) + " "
            wider = " ".join(lower[max(0, start - 9) : start]) + " "
            after = " ".join(lower[end:])
            if _BLAMING_BY.search(before):
                return Finding(sentence, who, "the cause")
            passive = _PASSIVE_BY.search(wider)
            if passive and any(word in CARELESS_ADVERBS for word in passive.group(0).split()):
                return Finding(sentence, who, "the agent of a careless act")
            if passive and not _GOOD_ACTS.match(passive["verb"]):
                subject = " ".join(lower[:start])
                if (
                    _HARMFUL_ACTS.match(passive["verb"])
                    or _BAD_THING.search(subject)
                    or _CONSEQUENCE.search(" ".join(lower[end:]).replace(" ,", ","))
                ):
                    return Finding(sentence, who, "the agent of a fault")
            if before == "had " or (
                _COUNTERFACTUAL.search(before) and re.match(r"^(?:had(?:n['’]t| not)?|only had)\b", after)
            ):
                return Finding(sentence, who, "if they had acted differently")
            if end < len(lower) and lower[end - 1].endswith(("'s", "’s")) and _POSSESSED_FAULT.match(after):
                return Finding(sentence, who, "their mistake")
            if lower[end - 1].endswith(("'s", "’s")):
                continue  # "Ravi's alert caught …": the subject is what they own, not them
            clause = self._clause(lower, end)
            why = _predicate(clause) or _consequence(clause, lower, end)
            if why is not None:
                return Finding(sentence, who, why)
        return None

    def _clause(self, lower: Sequence[str], end: int) -> str:
        """The words after a subject, up to the end of its clause, adverbs skipped.

        What may stand between a subject and its verb is skipped too: an
        appositive ("Kenji, our DBA, dropped …"), a place ("the contractor on
        the DC floor unplugged …") and a relative clause ("the engineer who
        wrote the script forgot …").
        """
        index = end
        if index + 2 < len(lower) and lower[index] == "," and lower[index + 1] in DETERMINERS | {"our", "my"}:
            closing = next((i for i in range(index + 2, min(len(lower), index + 8)) if lower[i] == ","), None)
            if closing is not None:
                index = closing + 1
        if (
            index + 2 < len(lower)
            and lower[index] in ("on", "in", "at", "from", "of")
            and lower[index + 1] == "the"
        ):
            probe = index + 2
            while probe < len(lower) and probe - index <= 5 and not _looks_like_verb(lower[probe]):
                probe += 1
            if probe < len(lower) and _looks_like_verb(lower[probe]):
                index = probe
        if index + 1 < len(lower) and lower[index] == "," and lower[index + 1] == "who":
            index += 1  # "… by Elena, who skipped the validation step": she is the relative clause's subject
        if index < len(lower) and lower[index].endswith("ing") and lower[index] not in ("during", "nothing"):
            lower = list(lower)
            lower.insert(index, "who")  # "the engineer restoring the snapshot picked …"
        if index < len(lower) and lower[index] in ("who", "that") and lower[index - 1] not in PRONOUNS:
            own = " ".join(lower[index + 1 :])
            if _predicate(own) is None:  # "the engineer who wrote the script forgot …": the main verb
                for probe in range(index + 2, min(len(lower), index + 9)):
                    if _predicate(" ".join(lower[probe:])) is not None:
                        index = probe
                        break
            else:
                index += 1
        skippable = AUXILIARIES - {"had", "has", "was", "were", "is", "did", "does"}
        while index < len(lower) and lower[index] in skippable:
            index += 1
        words: list[str] = []
        for word in lower[index:]:
            if word in _CLAUSE_BREAK or word in {",", ".", "!", "?"}:
                break
            words.append(word)
        return " ".join(words)

    def _people(self, tokens: Sequence[str], lower: Sequence[str]) -> list[tuple[int, int, str]]:
        """Spans ``[start, end)`` of individuals, with how to call them."""
        found: list[tuple[int, int, str]] = []
        index = 0
        while index < len(tokens):
            token, word = tokens[index], lower[index]
            bare = word.removesuffix("'s").removesuffix("’s")
            if token.startswith("@") and len(token) > 1:
                found.append((index, index + 1, token.removesuffix("'s").removesuffix("’s")))
            elif bare in self.people:
                found.append((index, index + 1, token))
            elif word in PRONOUNS:
                found.append((index, index + 1, token))
            elif word in PERSON_WORDS:
                found.append((index, index + 1, token))
            elif word in DETERMINERS:
                span = self._person_noun(lower, index)
                if span is not None:
                    found.append((index, span, " ".join(tokens[index:span])))
                    index = span
                    continue
            elif (span := self._bare_person_noun(lower, index)) is not None:
                found.append((index, span, " ".join(tokens[index:span])))
                index = span
                continue
            elif (width := self._team_member(lower, index)) or self._bare_subject(tokens, lower, index):
                found.append((index, index + 1 + width, token))
                index += 1 + width
                continue
            elif self._name(tokens, lower, index):
                end = index + 1
                while end < len(tokens) and self._surname(tokens, lower, end):
                    end += 1
                found.append((index, end, " ".join(tokens[index:end])))
                index = end
                continue
            index += 1
        return found

    def _person_noun(self, lower: Sequence[str], index: int) -> int | None:
        """``the (up to two words) engineer`` -> the end of the span, if it names a person."""
        for width in (1, 2, 3):
            probe = index + width
            if probe >= len(lower):
                return None
            noun = lower[probe].removesuffix("'s").removesuffix("’s")
            between = lower[index + 1 : probe]
            if any(w in ("no", "not", "non") for w in between):
                return None  # "no individual was at fault"
            if noun in PERSON_NOUNS and all(w.replace("-", "").isalpha() or w in MODIFIERS for w in between):
                end = probe + 1
                if noun in MODIFIERS and end < len(lower) and lower[end].removesuffix("'s") in PERSON_NOUNS:
                    end += 1  # "the on-call engineer"
                if (
                    end + 1 < len(lower)
                    and lower[end] in ("on", "in")
                    and lower[end + 1] in ("call", "duty", "shift", "rotation", "watch", "site")
                ):
                    end += 2  # "the engineer on call"
                return end
            if not (lower[probe].replace("-", "").isalpha() or lower[probe] in MODIFIERS):
                return None
        return None

    def _bare_person_noun(self, lower: Sequence[str], index: int) -> int | None:
        """A role without an article opening a clause, as shift logs write: "night shift tech missed …",
        "on-shift eng fat-fingered …", "L1 ignored …"."""
        opens = (
            index == 0
            or lower[index - 1] in (",", ".", ";", ":", "—", "–", "-")
            or lower[index - 1][:1].isdigit()
        )
        if not opens or lower[index] in DETERMINERS or lower[index] in PRONOUNS:
            return None
        for width in (0, 1, 2):
            probe = index + width
            if probe >= len(lower):
                return None
            between = lower[index:probe]
            if lower[probe] in PERSON_NOUNS and all(
                w.replace("-", "").isalpha() and w not in DETERMINERS and not w.endswith("ing")
                for w in between
            ):
                end = probe + 1
                following = lower[end] if end < len(lower) else ""
                if (
                    _looks_like_verb(following)
                    or following in CARELESS_ADVERBS
                    or _AUXILIARY_LIKE.match(following)
                ):
                    return end
                return None
        return None

    def _team_member(self, lower: Sequence[str], index: int) -> int:
        """ "Ruby from the platform team": whatever the word, a person; how many words follow the name."""
        words = lower[index + 1 : index + 5]
        if not lower[index].isalpha() or len(words) < 3 or words[0] not in ("from", "on", "in"):
            return 0
        if words[1] == "the" and len(words) == 4 and words[3] == "team":
            return 4
        return 3 if words[2] == "team" else 0

    def _bare_subject(self, tokens: Sequence[str], lower: Sequence[str], index: int) -> bool:
        """A lowercase name opening a clause ("bill accidentally force-pushed", "sky shouldn't have
        merged"): only people forget, and only people are careless."""
        word = lower[index]
        if (
            not word.isalpha()
            or word in NOT_NAMES
            or word in SYSTEMS
            or word in DETERMINERS
            or word in PRONOUNS
        ):
            return False
        if index > 0 and lower[index - 1] not in (
            ",",
            ".",
            ";",
            ":",
            "—",
            "–",
            "-",
            "lol",
            "ugh",
            "tbh",
            "so",
        ):
            return False
        rest = " ".join(lower[index + 1 : index + 12])
        return rest.split(" ", 1)[0] in CARELESS_ADVERBS or bool(_HUMAN_ONLY.match(rest))

    def _name(self, tokens: Sequence[str], lower: Sequence[str], index: int) -> bool:
        """A capitalised word that stands as a person's name: not a system, not a common word,
        followed by what follows a subject (a verb, an adverb, 's, a surname)."""
        token = tokens[index]
        bare = lower[index].removesuffix("'s").removesuffix("’s")
        if _INITIALS.fullmatch(token) and bare not in SYSTEMS:
            following = lower[index + 1] if index + 1 < len(lower) else ""
            return _looks_like_verb(following) or following in CARELESS_ADVERBS  # "JB pushed …"
        if not token[:1].isupper() or token.isupper() or len(bare) < 2 or not bare.isalpha():
            return False
        if any(c.isupper() for c in token[1:]) and not token.startswith(("Mc", "Mac", "O'", "O’")):
            return False  # "OpenSSL", "GitHub": products
        if bare in SYSTEMS or bare in NOT_NAMES or bare in PERSON_NOUNS:
            return False
        if index > 0 and lower[index - 1] in {"the", "a", "an", "our", "their"}:
            return False  # "the Terraform plan"
        if token.endswith(("'s", "’s")):
            return True
        if index > 0 and lower[index - 1] not in (".", "!", "?", '"', "“", "(", ":", "—", "-"):
            return True  # capitalised inside a sentence: a name (systems are listed above)
        following = lower[index + 1] if index + 1 < len(lower) else ""
        if following == "," and index + 2 < len(lower) and lower[index + 2] in DETERMINERS | {"our", "my"}:
            return True  # "Kenji, our DBA, …"
        if self._surname(tokens, lower, index + 1):
            return True
        if following in AUXILIARIES or following in CARELESS_ADVERBS or following in ("ought", "who"):
            return True
        if _AUXILIARY_LIKE.match(following):
            return True
        return _looks_like_verb(following)

    def _surname(self, tokens: Sequence[str], lower: Sequence[str], index: int) -> bool:
        if index >= len(tokens):
            return False
        token = tokens[index]
        bare = lower[index].removesuffix("'s").removesuffix("’s")
        return (
            token[:1].isupper() and not token.isupper() and bare.isalpha() and bare not in SYSTEMS | NOT_NAMES
        )


def _looks_like_verb(word: str) -> bool:
    return bool(re.match(r"^[a-z\-]+ed$", word)) or word in {
        "sent",
        "built",
        "left",
        "spent",
        "kept",
        "lent",
        "meant",
        "dealt",
        "felt",
        "lost",
        "cut",
        "hit",
        "let",
        "shut",
        "quit",
        "split",
        "upset",
        "wrote",
        "typed",
        "pasted",
        "deployed",
        "pushed",
        "merged",
        "ran",
        "broke",
        "took",
        "made",
        "brought",
        "forgot",
        "did",
        "was",
        "is",
        "had",
        "has",
        "went",
        "got",
        "put",
        "set",
        "gave",
        "chose",
        "misread",
        "overlooked",
        "knew",
    }


_PERFECT = re.compile(r"^(?:(?:had|has|have|['’]d) )+(?!to\b|no\b|not\b|a\b|an\b|the\b)")


def _predicate(clause: str) -> str | None:
    """What the words after a subject say about it, if it is blame ("had forgotten" as "forgotten")."""
    if not clause:
        return None
    found = _predicate_once(clause)
    perfect = _PERFECT.match(clause)
    if found is None and perfect:
        found = _predicate_once(clause[perfect.end() :])
    return found


def _predicate_once(clause: str) -> str | None:
    adverb = clause.split(" ", 1)[0]
    if adverb in CARELESS_ADVERBS:
        return f"“{adverb}”"
    if _HUMAN_ONLY.match(clause):
        return "a failing attributed to them"
    for part in re.split(r" (?:and|then|and then|before|or) ", clause):
        part = re.sub(r"^(?:then|also|just|simply|again|later) ", "", part)
        if _HUMAN_ONLY.match(part):
            return "a failing attributed to them"
        if _OMISSION.match(part):
            return "an omission attributed to them"
        if _JUDGED.match(part) or _DESTRUCTIVE.match(part):
            return "a harmful action attributed to them"
    careless = _CARELESS_PHRASE.search(clause)
    if careless:
        return f"“{careless.group(0)}”"
    return None


def _consequence(clause: str, lower: Sequence[str], end: int) -> str | None:
    """A person acted (not noticed, fixed or received) and the clause judges what they used
    ("the wrong host"), or the sentence goes on to the harm it did ("…, which flooded the logs")."""
    verb = clause.split(" ", 1)[0] if clause else ""
    if not verb or _INNOCENT_VERBS.match(verb) or not _looks_like_verb(verb):
        return None
    if _JUDGEMENT.search(clause):
        return "a harmful action attributed to them"
    rest = " ".join(lower[end:]).split(";", 1)[0]
    if _HARM.search(rest.split(" ", 1)[1] if " " in rest else ""):
        return "the harm their action did"
    return None


def is_blaming(sentence: str, people: Iterable[str] = ()) -> bool:
    return Checker(people).sentence(sentence) is not None
