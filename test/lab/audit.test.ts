import {createHash, randomInt, X509Certificate} from 'node:crypto'
import dgram from 'node:dgram'
import * as packet from 'dns-packet'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import https from 'node:https'
import net, {type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {FINDING_CODES} from '../../src/audit/codes.js'
import type {AuditReport, FindingCode} from '../../src/audit/types.js'
import type {AuditBatchJson} from '../../src/plan/audit-domains.js'
import {serverLabel} from '../../src/dns/server.js'
import {packageRoot, parseJson, runCli} from '../helpers/cli.js'
import {startDnsProxy, type DnsProxy} from '../helpers/dns-proxy.js'
import {startSmtpListener, type SmtpListener} from '../helpers/smtp.js'
import {createTestCa} from '../helpers/tls.js'
import {startLab, type Lab, type LabZone} from './lab.js'
import {startTcpOnlyNs, type TcpOnlyNs} from './tcp-only-ns.js'

/**
 * The audit against real BIND + Unbound: one zone per finding code, each
 * otherwise clean, audited from the command line as a user would, with real
 * SMTP listeners (accepting, refusing RCPT, hung, absent) and a real HTTPS
 * server for MTA-STS policies, its certificate from a CA made for this run.
 *
 * Microsoft 365 is the target: the lab serves protection.outlook.com, so
 * "<domain-with-dashes>.mail.protection.outlook.com" resolves on loopback.
 */

// Listener addresses: a block of our own (Linux routes all of 127/8 to lo).
const S = `127.54.${randomInt(0, 256)}`
const ACCEPT = `${S}.25`
const REJECT = `${S}.26`
const HUNG = `${S}.27`
const CLOSED = `${S}.28`
const HTTPS_ADDR = `${S}.43`
const HTTPS_HUNG = `${S}.44`
const DEAD = `${S}.53`
/** Take every recipient without offering STARTTLS; with a certificate for another name; with one from a CA not trusted here. */
const NOTLS = `${S}.29`
const WRONGCERT = `${S}.30`
const UNTRUSTED = `${S}.31`
/** A source MX host that takes mail but whose PTR names another host; one without any PTR record. */
const PTRBAD = `${S}.32`
const NOPTR = `${S}.33`
/** Name servers of txttimeout.test: BIND behind a forwarder that never answers its apex TXT question. */
const PROXY1 = `${S}.55`
const PROXY2 = `${S}.56`
/** Name servers of txtpartial.test: one drops its apex TXT question, the other answers everything. */
const PROXY3 = `${S}.57`
const PROXY4 = `${S}.58`
/** A name server that answers only over TCP (test/lab/tcp-only-ns.ts), in front of the lab primary. */
const TCP_ONLY = `${S}.59`

interface Spec {
  mx?: string[]
  spf?: string[]
  verification?: boolean
  dmarc?: string[]
  dkim?: boolean
  autodiscover?: boolean
  extra?: string[]
  primaryOnly?: boolean
}

/** Finding codes raised over the wire by another lab test, and the file that does. */
const RAISED_ELSEWHERE: Record<string, string> = {
  DNSSEC_BOGUS: 'test/lab/dnssec.test.ts',
  DNSSEC_DS_MISMATCH: 'test/lab/dnssec.test.ts',
  DNSSEC_SIGNATURE_EXPIRING: 'test/lab/dnssec.test.ts',
  DANE_TARGET_PREREQUISITE: 'test/audit/dnssec.test.ts',
}

/** A zone that passes every check, with the parts a test changes. */
function zone(name: string, s: Spec = {}): LabZone {
  const dash = name.replace(/\./g, '-')
  return {
    name,
    primaryOnly: s.primaryOnly,
    records: [
      ...(s.mx ?? ['@ 3600 IN MX 10 mail']),
      `mail IN A ${ACCEPT}`,
      ...(s.spf ?? ['v=spf1 mx include:spf.protection.outlook.com -all']).map((t) => `@ IN TXT "${t}"`),
      ...(s.verification === false ? [] : ['@ IN TXT "MS=ms12345678"']),
      ...(s.dmarc ?? [`v=DMARC1; p=none; rua=mailto:dmarc@${name}`]).map((t) => `_dmarc IN TXT "${t}"`),
      ...(s.dkim === false
        ? []
        : [
            `selector1._domainkey IN CNAME selector1-${dash}._domainkey.contoso.onmicrosoft.com.`,
            `selector2._domainkey IN CNAME selector2-${dash}._domainkey.contoso.onmicrosoft.com.`,
          ]),
      ...(s.autodiscover === false ? [] : ['autodiscover IN CNAME autodiscover.outlook.com.']),
      ...(s.extra ?? []),
    ],
  }
}

const tenA = Array.from({length: 10}, (_, i) => `a:h${i + 1}.example.test`).join(' ')
const fiveA = (p: string) => Array.from({length: 5}, (_, i) => `a:${p}${i + 1}.example.test`).join(' ')

/**
 * Zones shaped like real domains that broke the audit (the numbered points
 * of its tests below): records delegated by CNAME in and out of the zone, a
 * lookup that times out, RFC 7208 and RFC 7489 details, STARTTLS.
 */
const REAL_DOMAINS: Array<[LabZone, FindingCode[]]> = [
  // 1. include:/redirect= targets that are CNAMEs (out of the zone, and in it) to valid SPF records.
  [
    zone('spfcname.test', {
      spf: ['v=spf1 include:_spf.spfcname.test include:_spf2.spfcname.test include:spf.protection.outlook.com -all'],
      extra: ['_spf IN CNAME spf-hosted.provider.test.', '_spf2 IN CNAME _spf2-real', '_spf2-real IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'],
    }),
    [],
  ],
  [zone('spfredirect.test', {spf: ['v=spf1 redirect=_spf.spfredirect.test'], extra: ['_spf IN CNAME spf-m365.provider.test.']}), []],
  // The ten lookups behind the alias count: 1 + 10 + 1 = 12.
  [zone('spfcnamecount.test', {spf: ['v=spf1 include:_spf.spfcnamecount.test include:spf.protection.outlook.com -all'], extra: ['_spf IN CNAME spf-big.provider.test.']}), ['SPF_TOO_MANY_LOOKUPS']],
  [zone('spfloop.test', {spf: ['v=spf1 include:_spf.spfloop.test include:spf.protection.outlook.com -all'], extra: ['_spf IN CNAME _spf2', '_spf2 IN CNAME _spf']}), ['SPF_INCLUDE_BROKEN']],
  // 2. _dmarc as a CNAME (in the zone, then out of it) to a hosted DMARC record.
  [zone('dmarccname.test', {dmarc: [], extra: ['_dmarc IN CNAME _dmarc-alias', '_dmarc-alias IN CNAME dmarccname-test.dmarc.provider.test.']}), []],
  // A loop out of the zone, which the resolver answers with SERVFAIL: found, and said.
  [zone('dmarcloop.test', {dmarc: [], extra: ['_dmarc IN CNAME x.loop.provider.test.']}), ['DMARC_MISSING']],
  // 3. _mta-sts and mta-sts delegated by CNAME (RFC 8461 §8.2): the enforce policy behind them still counts.
  [zone('stscname.test', {extra: ['_mta-sts IN CNAME _mta-sts.sts.provider.test.', 'mta-sts IN CNAME mta-sts.sts.provider.test.']}), ['MTA_STS_POLICY_MX_MISMATCH']],
  // 4. The apex TXT question times out at every authoritative server.
  [{...zone('txttimeout.test', {primaryOnly: true}), nsLines: ['@ IN NS ns1', '@ IN NS ns2', `ns1 IN A ${PROXY1}`, `ns2 IN A ${PROXY2}`]}, ['CHECK_INCOMPLETE']],
  // ... at one of them: SPF and verification are read from the other, and the failing one is named.
  [{...zone('txtpartial.test', {primaryOnly: true}), nsLines: ['@ IN NS ns1', '@ IN NS ns2', `ns1 IN A ${PROXY3}`, `ns2 IN A ${PROXY4}`]}, ['CHECK_INCOMPLETE']],
  // 5. Terms after "all" (RFC 7208 §5.1): ten lookups before it, two never evaluated after it.
  [zone('afterall.test', {spf: ['v=spf1 a a a a a a a a a include:spf.protection.outlook.com -all a a'], extra: ['@ IN A 127.0.0.1']}), ['SPF_TERMS_AFTER_ALL']],
  // 6. Invalid optional DMARC tags: ignored by receivers, the record applies (RFC 7489 §6.3).
  [zone('dmarctags.test', {dmarc: ['v=DMARC1; p=none; pct=150; adkim=x; ruf=; rua=dmarc@dmarctags.test']}), ['DMARC_TAG_INVALID']],
  // 7. Tag names in capitals.
  [zone('dmarccase.test', {dmarc: ['V=DMARC1; P=reject; RUA=mailto:dmarc@dmarccase.test']}), []],
  // 8. Three void lookups; an mx term with eleven MX records (RFC 7208 §4.6.4).
  [zone('voids.test', {spf: ['v=spf1 mx a:gone1.voids.test a:gone2.voids.test a:gone3.voids.test include:spf.protection.outlook.com -all']}), ['SPF_VOID_LOOKUPS']],
  [zone('mxlimit.test', {spf: ['v=spf1 mx:big.mxlimit.test include:spf.protection.outlook.com -all'], extra: Array.from({length: 11}, (_, i) => `big IN MX ${i + 1} mail`)}), ['SPF_TOO_MANY_LOOKUPS']],
  // 9. An enforce policy that covers the target but not today's MX.
  [zone('stssource.test', {extra: ['_mta-sts IN TXT "v=STSv1; id=1"', `mta-sts IN A ${HTTPS_ADDR}`]}), ['MTA_STS_POLICY_SOURCE_MISMATCH']],
  // 10. DMARC reports to another domain, without and with its authorisation (RFC 7489 §7.1).
  [zone('ruaext.test', {dmarc: ['v=DMARC1; p=none; rua=mailto:d@reports.test']}), ['DMARC_RUA_UNAUTHORIZED']],
  [zone('ruaok.test', {dmarc: ['v=DMARC1; p=none; rua=mailto:d@reports.test']}), []],
  // 11. Target MX hosts without STARTTLS, with a certificate for another name, from an unknown CA; TLS enforced or not.
  [zone('notls.test'), ['SMTP_STARTTLS_MISSING']],
  [zone('notlssts.test', {extra: ['_mta-sts IN TXT "v=STSv1; id=1"', `mta-sts IN A ${HTTPS_ADDR}`]}), ['SMTP_STARTTLS_MISSING']],
  [zone('wrongcert.test'), ['SMTP_CERT_MISMATCH']],
  [zone('wrongcerttlsa.test'), ['SMTP_CERT_MISMATCH']],
  [zone('untrusted.test'), ['SMTP_CERT_MISMATCH']],
  // The same wrong-name certificate, pinned by a DANE-EE TLSA record: names do not matter (RFC 7672 §3.1.1).
  [zone('daneee.test'), []],
]

/** Each zone, and the exact codes its audit must raise (none for the clean ones). */
const CASES: Array<[LabZone, FindingCode[]]> = [
  [zone('clean.test', {extra: ['_mta-sts IN TXT "v=STSv1; id=20250101"', `mta-sts IN A ${HTTPS_ADDR}`]}), []],
  [zone('google.test', {mx: ['@ 3600 IN MX 1 smtp.google.com.']}), []],
  [zone('nomx.test', {mx: ['@ IN A 127.0.0.1']}), ['MX_NONE_IMPLICIT']],
  [zone('nullmx.test', {mx: ['@ IN MX 0 .']}), ['MX_NULL']],
  [zone('nullmixed.test', {mx: ['@ IN MX 0 .', '@ IN MX 10 mail']}), ['MX_NULL_MIXED']],
  [zone('iplit.test', {mx: ['@ IN MX 10 192.0.2.25.']}), ['MX_TARGET_IP_LITERAL']],
  [zone('mxcname.test', {mx: ['@ IN MX 10 mx', 'mx IN CNAME mail']}), ['MX_TARGET_CNAME']],
  [zone('mxunres.test', {mx: ['@ IN MX 10 mx', '@ IN MX 20 gone.nowhere.test.', 'mx IN TXT "no address here"']}), ['MX_TARGET_UNRESOLVABLE', 'MX_TARGET_UNRESOLVABLE']],
  [zone('dupprio.test', {mx: ['@ IN MX 10 mail', '@ IN MX 10 mail2', `mail2 IN A ${ACCEPT}`]}), ['MX_DUPLICATE_PRIORITY']],
  [zone('highttl.test', {mx: ['@ 86400 IN MX 10 mail']}), ['MX_TTL_HIGH']],
  // Rewritten once the lab runs (their NS records need its addresses): see beforeAll.
  [zone('singlens.test', {primaryOnly: true}), ['NS_SINGLE']],
  [zone('deadns.test', {primaryOnly: true}), ['NS_UNREACHABLE']],
  [zone('tcponlyns.test', {primaryOnly: true}), ['NS_TCP_ONLY']],
  [zone('lagging.test'), ['NS_RRSET_MISMATCH', 'NS_SERIAL_MISMATCH']],
  [zone('nospf.test', {spf: []}), ['SPF_MISSING']],
  [zone('twospf.test', {spf: ['v=spf1 mx include:spf.protection.outlook.com -all', 'v=spf1 a -all']}), ['SPF_MULTIPLE']],
  [zone('badspf.test', {spf: ['v=spf1 mx include:spf.protection.outlook.com ip4:300.1.1.1 -all']}), ['SPF_SYNTAX']],
  // 3 includes + 2 × 5 a: terms behind them = 13, counted through in-zone includes.
  [
    zone('manyspf.test', {
      spf: ['v=spf1 include:_s1.manyspf.test include:_s2.manyspf.test include:spf.protection.outlook.com -all'],
      extra: [`_s1 IN TXT "v=spf1 ${fiveA('x')} -all"`, `_s2 IN TXT "v=spf1 ${fiveA('y')} -all"`],
    }),
    ['SPF_TOO_MANY_LOOKUPS'],
  ],
  // 10 today, 11 once include:spf.protection.outlook.com is merged in.
  [zone('mergespf.test', {spf: [`v=spf1 ${tenA} -all`]}), ['SPF_TARGET_INCLUDE_MISSING', 'SPF_TOO_MANY_LOOKUPS']],
  [zone('noinclude.test', {spf: ['v=spf1 mx -all']}), ['SPF_TARGET_INCLUDE_MISSING']],
  [zone('brokeninc.test', {spf: ['v=spf1 mx include:gone.nowhere.test include:spf.protection.outlook.com -all']}), ['SPF_INCLUDE_BROKEN']],
  [zone('nodmarc.test', {dmarc: []}), ['DMARC_MISSING']],
  [zone('baddmarc.test', {dmarc: ['v=DMARC1; p=bogus']}), ['DMARC_SYNTAX']],
  [zone('twodmarc.test', {dmarc: ['v=DMARC1; p=none', 'v=DMARC1; p=reject']}), ['DMARC_SYNTAX']],
  [zone('nodkim.test', {dkim: false}), ['DKIM_TARGET_MISSING']],
  [zone('noautod.test', {autodiscover: false}), ['AUTODISCOVER_MISSING']],
  [zone('oldautod.test', {autodiscover: false, extra: ['autodiscover IN CNAME exchange.oldautod.test.']}), ['AUTODISCOVER_MISSING']],
  [zone('noverify.test', {verification: false}), ['TARGET_VERIFICATION_MISSING']],
  [zone('unres.test'), ['TARGET_MX_UNRESOLVABLE']],
  [zone('reject.test'), ['TARGET_SMTP_REJECTS']],
  [zone('hung.test'), ['TARGET_SMTP_UNREACHABLE']],
  [zone('closed.test'), ['TARGET_SMTP_UNREACHABLE']],
  [zone('stsmismatch.test', {extra: ['_mta-sts IN TXT "v=STSv1; id=1"', `mta-sts IN A ${HTTPS_ADDR}`]}), ['MTA_STS_POLICY_MX_MISMATCH']],
  [zone('stsdown.test', {extra: ['_mta-sts IN TXT "v=STSv1; id=1"', `mta-sts IN A ${HTTPS_ADDR}`]}), ['MTA_STS_POLICY_UNREACHABLE']],
  [zone('stsbad.test', {extra: ['_mta-sts IN TXT "v=STSv1; id=1"', `mta-sts IN A ${HTTPS_ADDR}`]}), ['MTA_STS_POLICY_UNREACHABLE']],
  [zone('stshung.test', {extra: ['_mta-sts IN TXT "v=STSv1; id=1"', `mta-sts IN A ${HTTPS_HUNG}`]}), ['MTA_STS_POLICY_UNREACHABLE']],
  [zone('stsnohost.test', {extra: ['_mta-sts IN TXT "v=STSv1; id=1"']}), ['MTA_STS_POLICY_UNREACHABLE']],
  [zone('dane.test', {extra: [`_25._tcp.mail IN TLSA 3 1 1 ${'ab'.repeat(32)}`]}), ['DANE_TLSA_SOURCE_ONLY']],
  // The second MX sits in a subzone delegated to a server that does not exist: the resolver answers SERVFAIL.
  // Its SPF "mx" term asks for that host too: receivers that meet the same SERVFAIL return temperror.
  [zone('sfmx.test', {mx: ['@ IN MX 10 mail', '@ IN MX 20 mx.sub.deleg.test.']}), ['CHECK_INCOMPLETE', 'CHECK_INCOMPLETE']],
  // Every MX host of today's RRset is probed: a backup that refuses the domain bounces mail while the primary is down.
  [zone('backup.test', {mx: ['@ IN MX 10 mail', '@ IN MX 20 backup', `backup IN A ${REJECT}`]}), ['MX_BACKUP_REJECTS']],
  // A backup that cannot be reached from here is a check that could not finish, not an error.
  [zone('backupdown.test', {mx: ['@ IN MX 10 mail', '@ IN MX 20 backup', `backup IN A ${CLOSED}`]}), ['CHECK_INCOMPLETE']],
  // Forward-confirmed reverse DNS of custom hosts: a PTR to a name elsewhere, and no PTR at all.
  [zone('ptr.test', {mx: ['@ IN MX 10 mx', `mx IN A ${PTRBAD}`]}), ['MX_PTR_MISMATCH']],
  [zone('noptr.test', {mx: ['@ IN MX 10 mx', `mx IN A ${NOPTR}`]}), ['MX_PTR_MISMATCH']],
  ...REAL_DOMAINS,
]

/** The last byte of every listener address that has a forward-confirmed PTR. */
const LISTENER_HOSTS = [25, 26, 27, 28, 29, 30, 31]

const hosts = (from: number, to: number) => Array.from({length: to - from + 1}, (_, i) => `a:h${from + i}.hosts.provider.test`).join(' ')

/** The provider zones; `pin` is the DANE-EE TLSA data of the wrong-name certificate (SHA-256 of its key). */
const providers = (pin: string): LabZone[] => [
  {
    name: 'protection.outlook.com',
    records: [
      `*.mail IN A ${ACCEPT}`,
      `reject-test.mail IN A ${REJECT}`,
      `hung-test.mail IN A ${HUNG}`,
      `closed-test.mail IN A ${CLOSED}`,
      'unres-test.mail IN TXT "this host has no address"',
      `notls-test.mail IN A ${NOTLS}`,
      `notlssts-test.mail IN A ${NOTLS}`,
      `wrongcert-test.mail IN A ${WRONGCERT}`,
      `wrongcerttlsa-test.mail IN A ${WRONGCERT}`,
      `_25._tcp.wrongcerttlsa-test.mail IN TLSA 3 1 1 ${'cd'.repeat(32)}`,
      `daneee-test.mail IN A ${WRONGCERT}`,
      `_25._tcp.daneee-test.mail IN TLSA 3 1 1 ${pin}`,
      `untrusted-test.mail IN A ${UNTRUSTED}`,
      'spf IN TXT "v=spf1 ip4:127.0.0.0/8 -all"',
    ],
  },
  // PTR records of the listeners: each names a host of provider.test that resolves back to it, except PTRBAD's.
  {
    name: `${S.split('.').reverse().join('.')}.in-addr.arpa`,
    records: [...LISTENER_HOSTS.map((n) => `${n} IN PTR h${n}.provider.test.`), `${PTRBAD.split('.')[3]} IN PTR elsewhere.provider.test.`],
  },
  {name: 'google.com', records: [`smtp IN A ${ACCEPT}`, '_spf IN TXT "v=spf1 include:_netblocks.google.com ~all"', '_netblocks IN TXT "v=spf1 ip4:127.0.0.0/8 ~all"']},
  {
    name: 'provider.test',
    records: [
      `mx IN A ${ACCEPT}`,
      ...LISTENER_HOSTS.map((n) => `h${n} IN A ${S}.${n}`),
      `elsewhere IN A ${S}.99`,
      'spf IN TXT "v=spf1 ip4:127.0.0.0/8 -all"',
      '*.hosts IN A 127.0.0.1',
      'spf-hosted IN TXT "v=spf1 a:mx.provider.test -all"',
      'spf-m365 IN TXT "v=spf1 include:spf.protection.outlook.com -all"',
      // Longer than one character-string: two strings, joined without a separator (RFC 7208 §3.3).
      `spf-big IN TXT "v=spf1 ${hosts(1, 5)} " "${hosts(6, 10)} -all"`,
      'dmarccname-test.dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:reports@provider.test"',
      '*._report._dmarc IN TXT "v=DMARC1"',
      '_mta-sts.sts IN TXT "v=STSv1; id=7"',
      'x.loop IN CNAME y.loop',
      'y.loop IN CNAME x.loop',
      `mta-sts.sts IN A ${HTTPS_ADDR}`,
    ],
  },
  // The a: hosts of the lookup-counting zones exist, so their only finding is the count.
  {name: 'example.test', records: ['* IN A 127.0.0.1']},
  {name: 'reports.test', records: ['ruaok.test._report._dmarc IN TXT "v=DMARC1"', '@ IN MX 10 mail', 'mail IN A 127.0.0.1']},
  {name: 'deleg.test', records: ['sub IN NS ns.sub', `ns.sub IN A ${DEAD}`]},
  zone('custom.test', {spf: ['v=spf1 mx include:spf.provider.test -all'], verification: false, dkim: false, autodiscover: false, extra: ['@ IN TXT "provider-verification=abc123"']}),
]

const POLICIES: Record<string, {status: number; body: string}> = {
  'mta-sts.clean.test': {status: 200, body: 'version: STSv1\r\nmode: enforce\r\nmx: mail.clean.test\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 86400\r\n'},
  'mta-sts.stsmismatch.test': {status: 200, body: 'version: STSv1\nmode: enforce\nmx: mail.stsmismatch.test\nmax_age: 604800\n'},
  'mta-sts.stsbad.test': {status: 200, body: 'version: STSv1\nmode: enforce\nmx: mail.stsbad.test\n'},
  'mta-sts.stsdown.test': {status: 404, body: 'not found'},
  'mta-sts.stscname.test': {status: 200, body: 'version: STSv1\nmode: enforce\nmx: mail.stscname.test\nmax_age: 86400\n'},
  'mta-sts.stssource.test': {status: 200, body: 'version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\nmax_age: 86400\n'},
  'mta-sts.notlssts.test': {status: 200, body: 'version: STSv1\nmode: enforce\nmx: mail.notlssts.test\nmx: *.mail.protection.outlook.com\nmax_age: 86400\n'},
}

let lab: Lab
let proxy: DnsProxy
let passThrough: DnsProxy
let tcpOnly: TcpOnlyNs | undefined
const listeners: SmtpListener[] = []
let httpsServer: https.Server
let silentServer: net.Server
/** A resolver that answers every question with SERVFAIL, as a broken or validating-and-failing resolver does. */
let servfail: dgram.Socket
let servfailLabel = ''
const silentSockets = new Set<net.Socket>()
let httpsPort = 0
let caFile = ''
let smtpPort = 0
let configDir = ''
const requested: string[] = []

beforeAll(async () => {
  const ca = createTestCa()
  caFile = ca.caFile
  const {key, cert} = ca.issue(Object.keys(POLICIES))
  httpsServer = https.createServer({key, cert}, (req, res) => {
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '')
    requested.push(`${host}${req.url ?? ''}`)
    const p = POLICIES[host]
    if (!p || req.url !== '/.well-known/mta-sts.txt') {
      res.writeHead(404).end()
      return
    }
    res.writeHead(p.status, {'content-type': 'text/plain'}).end(p.body)
  })
  await new Promise<void>((resolve) => httpsServer.listen(0, HTTPS_ADDR, () => resolve()))
  httpsPort = (httpsServer.address() as AddressInfo).port
  // A policy host that takes the TCP connection and never answers the TLS handshake.
  silentServer = net.createServer((socket) => {
    silentSockets.add(socket)
    socket.on('close', () => silentSockets.delete(socket))
  })
  await new Promise<void>((resolve) => silentServer.listen(httpsPort, HTTPS_HUNG, () => resolve()))

  // The target's MX hosts offer STARTTLS with a certificate of the run's CA (trusted through NODE_EXTRA_CA_CERTS).
  const mxCert = ca.issue(['*.mail.protection.outlook.com', 'smtp.google.com', 'mx.provider.test'])
  const wrongCert = ca.issue(['wrong-name.example.test'])
  const otherCa = createTestCa()
  const accept = await startSmtpListener(ACCEPT, 'accept', 0, {tls: mxCert})
  smtpPort = accept.port
  listeners.push(
    accept,
    await startSmtpListener(REJECT, 'reject-rcpt', smtpPort, {tls: mxCert}),
    await startSmtpListener(HUNG, 'hang', smtpPort),
    await startSmtpListener(NOTLS, 'accept', smtpPort),
    await startSmtpListener(WRONGCERT, 'accept', smtpPort, {tls: wrongCert}),
    await startSmtpListener(UNTRUSTED, 'accept', smtpPort, {tls: otherCa.issue(['untrusted-test.mail.protection.outlook.com'])}),
    await startSmtpListener(PTRBAD, 'accept', smtpPort, {tls: mxCert}),
    await startSmtpListener(NOPTR, 'accept', smtpPort, {tls: mxCert}),
  )
  const pin = createHash('sha256').update(new X509Certificate(wrongCert.cert).publicKey.export({type: 'spki', format: 'der'})).digest('hex')

  lab = await startLab({zones: [...CASES.map(([z]) => z), ...providers(pin)], resolvers: [{}], notify: false})
  proxy = await startDnsProxy({addresses: [PROXY1, PROXY2, PROXY3], port: 53, upstream: lab.primary, drop: (q) => (q.name === 'txttimeout.test' || q.name === 'txtpartial.test') && q.type === 'TXT'})
  passThrough = await startDnsProxy({addresses: [PROXY4], port: 53, upstream: lab.primary, drop: () => false})
  const p = lab.primary.address
  await lab.writeZone({...zone('singlens.test', {primaryOnly: true}), serial: 2, nsLines: ['@ IN NS ns1', `ns1 IN A ${p}`]})
  await lab.writeZone({...zone('deadns.test', {primaryOnly: true}), serial: 2, nsLines: ['@ IN NS ns1', '@ IN NS ns3', `ns1 IN A ${p}`, `ns3 IN A ${DEAD}`]})
  tcpOnly = await startTcpOnlyNs(lab.primary, TCP_ONLY, 'drop')
  await lab.writeZone({...zone('tcponlyns.test', {primaryOnly: true}), serial: 2, nsLines: ['@ IN NS ns1', '@ IN NS ns3', `ns1 IN A ${p}`, `ns3 IN A ${TCP_ONLY}`]})
  // NOTIFY is off: the secondary keeps serial 1 and the old MX.
  await lab.writeZone({...zone('lagging.test', {mx: ['@ 3600 IN MX 10 mail', '@ 3600 IN MX 20 mail']}), serial: 2})

  configDir = mkdtempSync(join(tmpdir(), 'mxcut-audit-'))
  servfail = dgram.createSocket('udp4')
  servfail.on('message', (msg, rinfo) => {
    const q = packet.decode(msg)
    const answer = packet.encode({type: 'response', id: q.id, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | 2, questions: q.questions})
    servfail.send(answer, rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve) => servfail.bind(0, `${S}.54`, () => resolve()))
  servfailLabel = `${S}.54:${servfail.address().port}`
}, 120_000)

afterAll(async () => {
  await tcpOnly?.stop()
  await Promise.all(listeners.map((l) => l.close()))
  await proxy?.close()
  await passThrough?.close()
  httpsServer?.closeAllConnections()
  await new Promise<void>((resolve) => (httpsServer ? httpsServer.close(() => resolve()) : resolve()))
  servfail?.close()
  for (const socket of silentSockets) socket.destroy()
  await new Promise<void>((resolve) => (silentServer ? silentServer.close(() => resolve()) : resolve()))
  await lab?.stop()
})

const resolver = () => serverLabel(lab.resolvers[0])
const common = () => ['--to', 'microsoft365', '--resolver', resolver(), '--smtp-port', String(smtpPort), '--mta-sts-port', String(httpsPort), '--probe-timeout', '1500', '--timeout', '1000']
const env = () => ({NODE_EXTRA_CA_CERTS: caFile})
const codes = (r: AuditReport) => r.findings.map((f) => f.code).sort()

describe('mxcut audit against the lab', () => {
  let batch: AuditBatchJson
  let batchCode: number | null

  beforeAll(async () => {
    const r = await runCli(['audit', ...CASES.map(([z]) => z.name), ...common(), '--concurrency', '12', '--json'], {env: env(), timeoutMs: 120_000})
    batchCode = r.code
    batch = parseJson<AuditBatchJson>(r)
  }, 150_000)

  test('every zone raises exactly the codes it was built for', () => {
    expect(batch.failed).toEqual([])
    const got = Object.fromEntries(batch.domains.map((r) => [r.domain, codes(r)]))
    const want = Object.fromEntries(CASES.map(([z, c]) => [z.name, [...c].sort()]))
    expect(got).toEqual(want)
    expect(batchCode).toBe(1)
  })

  test('every finding code of the table is raised by some zone, with its severity', () => {
    const raised = new Set(batch.domains.flatMap((r) => r.findings.map((f) => f.code)))
    // Codes that need a lab of their own (signed zones and a validating resolver) are raised by that lab's test over the wire.
    const elsewhere = Object.entries(RAISED_ELSEWHERE).filter(([code, file]) => readFileSync(join(packageRoot, file), 'utf8').includes(code)).map(([code]) => code)
    expect(FINDING_CODES.filter((c) => !raised.has(c) && !elsewhere.includes(c))).toEqual([])
    for (const f of batch.domains.flatMap((r) => r.findings)) {
      expect(f.subject.length).toBeGreaterThan(0)
      expect(f.message).toMatch(/;|:/)
    }
  })

  test('findings say what is wrong and what to do, naming the subject', () => {
    const by = (d: string) => batch.domains.find((r) => r.domain === d) as AuditReport
    expect(by('reject.test').findings[0]).toMatchObject({severity: 'error', subject: `reject-test.mail.protection.outlook.com port ${smtpPort}`})
    expect(by('reject.test').findings[0].message).toMatch(/Relay access denied/)
    expect(by('hung.test').findings[0]).toMatchObject({severity: 'warning'})
    expect(by('hung.test').findings[0].message).toMatch(/no greeting within 1500 ms/)
    expect(by('closed.test').findings[0].message).toMatch(/ECONNREFUSED/)
    const sts = by('stsmismatch.test').findings[0]
    expect(sts.message).toContain('"mx: stsmismatch-test.mail.protection.outlook.com"')
    expect(sts.message).toMatch(/max_age \(604800 s, 7 d\)/)
    expect(sts.message).toMatch(/today id=1/)
    const merged = by('mergespf.test').findings.find((f) => f.code === 'SPF_TOO_MANY_LOOKUPS')
    expect(merged?.message).toMatch(/11 DNS lookups \(today 10/)
    expect(by('mergespf.test').findings.find((f) => f.code === 'SPF_TARGET_INCLUDE_MISSING')?.message).toContain(`"v=spf1 ${tenA} include:spf.protection.outlook.com -all"`)
    expect(by('manyspf.test').findings[0].message).toMatch(/13 DNS lookups/)
    expect(by('lagging.test').findings.find((f) => f.code === 'NS_SERIAL_MISMATCH')?.message).toMatch(/: 2.*: 1/)
    expect(by('deadns.test').findings[0].subject).toContain(DEAD)
    expect(by('sfmx.test').findings[0].subject).toMatch(/mx\.sub\.deleg\.test/)
    expect(by('stshung.test').findings[0].message).toMatch(/no complete answer within 1500 ms/)
    expect(by('stsbad.test').findings[0].message).toMatch(/invalid \(max_age/)
    expect(by('stsdown.test').findings[0].message).toMatch(/HTTP 404/)
    expect(by('stsnohost.test').findings[0].message).toMatch(/mta-sts\.stsnohost\.test does not exist/)
    expect(by('mxunres.test').findings.map((f) => f.message).join(' ')).toMatch(/NXDOMAIN.*NODATA|NODATA.*NXDOMAIN/)
  })

  test('source detected from MX, target MX from the profile, with its notice', () => {
    const google = batch.domains.find((r) => r.domain === 'google.test') as AuditReport
    expect(google.source).toBe('google-workspace')
    expect(google.target).toBe('microsoft365')
    expect(google.targetMx).toEqual([{priority: 0, exchange: 'google-test.mail.protection.outlook.com'}])
    expect(google.notes?.join(' ')).toMatch(/admin center/)
  })

  test('the MTA-STS policies were fetched over HTTPS from the hosts our DNS path resolved', () => {
    expect(requested).toEqual(expect.arrayContaining(['mta-sts.clean.test/.well-known/mta-sts.txt', 'mta-sts.stsmismatch.test/.well-known/mta-sts.txt']))
  })

  test('the SMTP probes never sent DATA', () => {
    const lines = listeners.flatMap((l) => l.sessions.flat())
    expect(lines.some((l) => l.startsWith('RCPT TO:<postmaster@clean.test>'))).toBe(true)
    expect(lines.filter((l) => /^DATA/i.test(l))).toEqual([])
  })

  describe('real domains: records delegated by CNAME, lookups that fail, RFC 7208, RFC 7489, STARTTLS', () => {
    const by = (d: string) => batch.domains.find((r) => r.domain === d) as AuditReport
    const found = (d: string) => by(d).findings.map((f) => [f.code, f.severity])

    test('1. include:/redirect= targets that are CNAMEs are followed, in and out of the zone, and their lookups counted', () => {
      expect(found('spfcname.test')).toEqual([])
      expect(found('spfredirect.test')).toEqual([])
      expect(found('spfcnamecount.test')).toEqual([['SPF_TOO_MANY_LOOKUPS', 'error']])
      expect(by('spfcnamecount.test').findings[0].message).toMatch(/needs 12 DNS lookups/)
      expect(found('spfloop.test')).toEqual([['SPF_INCLUDE_BROKEN', 'error']])
      expect(by('spfloop.test').findings[0].message).toMatch(/CNAME loop _spf\.spfloop\.test → _spf2\.spfloop\.test → _spf\.spfloop\.test/)
    })

    test('2. _dmarc as a CNAME to a hosted DMARC record is that record; a CNAME loop is said, not a hang', () => {
      expect(found('dmarccname.test')).toEqual([])
      expect(found('dmarcloop.test')).toEqual([['DMARC_MISSING', 'warning']])
      expect(by('dmarcloop.test').findings[0].message).toMatch(/_dmarc\.dmarcloop\.test \(alias of x\.loop\.provider\.test → y\.loop\.provider\.test → x\.loop\.provider\.test\) is an alias that never ends/)
    })

    test('3. _mta-sts delegated by CNAME (RFC 8461 §8.2): its enforce policy must still cover the target', () => {
      expect(found('stscname.test')).toEqual([['MTA_STS_POLICY_MX_MISMATCH', 'error']])
      expect(by('stscname.test').findings[0].message).toContain('"mx: stscname-test.mail.protection.outlook.com"')
      expect(requested).toContain('mta-sts.stscname.test/.well-known/mta-sts.txt')
    })

    test('4. an apex TXT question that times out is CHECK_INCOMPLETE naming the servers, never SPF_MISSING or a missing verification TXT', () => {
      expect(found('txttimeout.test')).toEqual([['CHECK_INCOMPLETE', 'warning']])
      const f = by('txttimeout.test').findings[0]
      expect(f.subject).toBe('txttimeout.test TXT (SPF)')
      expect(f.message).toContain(PROXY1)
      expect(f.message).toContain(PROXY2)
      expect(f.message).toMatch(/no answer within 1000 ms/)
      expect(proxy.dropped).toContain('txttimeout.test TXT')
      // Only one server failing: the records come from the other; the one that failed is named.
      expect(found('txtpartial.test')).toEqual([['CHECK_INCOMPLETE', 'warning']])
      expect(by('txtpartial.test').findings[0]).toMatchObject({subject: 'txtpartial.test TXT', message: expect.stringContaining(PROXY3)})
      expect(by('txtpartial.test').findings[0].message).not.toContain(PROXY4)
    })

    test('5. terms after "all" are neither counted nor followed, and said to be ignored', () => {
      expect(found('afterall.test')).toEqual([['SPF_TERMS_AFTER_ALL', 'warning']])
      expect(by('afterall.test').findings[0].message).toContain('"a", "a"')
    })

    test('6. invalid optional DMARC tags are a warning: receivers ignore them and apply the record', () => {
      expect(found('dmarctags.test')).toEqual([['DMARC_TAG_INVALID', 'warning']])
      expect(by('dmarctags.test').findings[0].message).toMatch(/pct=150 must be 0 to 100; adkim=x must be r or s; ruf= is empty; rua= holds 'dmarc@dmarctags\.test', which is not a URI/)
    })

    test('7. DMARC tag names are case-insensitive', () => {
      expect(found('dmarccase.test')).toEqual([])
    })

    test('8. more than two void lookups, and more than ten MX records behind one mx term, are permerrors', () => {
      expect(found('voids.test')).toEqual([['SPF_VOID_LOOKUPS', 'error']])
      expect(by('voids.test').findings[0].message).toMatch(/3 lookups that find nothing.*gone1\.voids\.test.*gone2\.voids\.test.*gone3\.voids\.test/)
      expect(found('mxlimit.test')).toEqual([['SPF_TOO_MANY_LOOKUPS', 'error']])
      expect(by('mxlimit.test').findings[0].subject).toBe('mxlimit.test TXT (SPF) mx:big.mxlimit.test')
    })

    test("9. an enforce policy must cover today's MX hosts too", () => {
      expect(found('stssource.test')).toEqual([['MTA_STS_POLICY_SOURCE_MISMATCH', 'error']])
      expect(by('stssource.test').findings[0].message).toMatch(/does not cover today's MX host mail\.stssource\.test/)
    })

    test('10. DMARC reports to another domain need its _report._dmarc authorisation', () => {
      expect(found('ruaext.test')).toEqual([['DMARC_RUA_UNAUTHORIZED', 'warning']])
      expect(by('ruaext.test').findings[0].subject).toBe('ruaext.test._report._dmarc.reports.test TXT')
      expect(found('ruaok.test')).toEqual([])
      // A wildcard authorisation, behind a CNAME'd _dmarc.
      expect(found('dmarccname.test')).toEqual([])
    })

    test('11. STARTTLS and certificates: warnings, errors where MTA-STS enforce or TLSA makes senders require TLS', () => {
      expect(found('notls.test')).toEqual([['SMTP_STARTTLS_MISSING', 'warning']])
      expect(found('notlssts.test')).toEqual([['SMTP_STARTTLS_MISSING', 'error']])
      expect(by('notlssts.test').findings[0].message).toMatch(/MTA-STS policy is in enforce mode/)
      expect(found('wrongcert.test')).toEqual([['SMTP_CERT_MISMATCH', 'warning']])
      expect(by('wrongcert.test').findings[0].message).toMatch(/does not cover wrongcert-test\.mail\.protection\.outlook\.com \(it names wrong-name\.example\.test\)/)
      expect(found('wrongcerttlsa.test')).toEqual([['SMTP_CERT_MISMATCH', 'error']])
      expect(by('wrongcerttlsa.test').findings[0].message).toMatch(/matches none of its TLSA records/)
      expect(found('untrusted.test')).toEqual([['SMTP_CERT_MISMATCH', 'warning']])
      expect(by('untrusted.test').findings[0].message).toMatch(/does not chain to a trusted root/)
      expect(found('daneee.test')).toEqual([])
      // The clean zone's target went through TLS with a certificate the run's CA signed.
      const accept = listeners[0]
      expect(accept.sessions.some((lines, i) => accept.secured[i] && lines.includes('RCPT TO:<postmaster@clean.test>'))).toBe(true)
    })

    test("12. every host of today's MX is probed at each address: a backup that refuses is an error, one out of reach a warning; PTRs of custom hosts must confirm", () => {
      expect(found('backup.test')).toEqual([['MX_BACKUP_REJECTS', 'error']])
      const f = by('backup.test').findings[0]
      expect(f.subject).toBe(`backup.backup.test port ${smtpPort}`)
      expect(f.message).toMatch(/^backup\.backup\.test \(MX 20 of backup\.test\) refused RCPT TO:<postmaster@backup\.test> at .*Relay access denied.*whenever the hosts before it do not answer, senders bounce/)
      expect(by('backup.test').hosts).toEqual(
        expect.arrayContaining([
          {role: 'source', priority: 10, exchange: 'mail.backup.test', address: ACCEPT, result: 'accept', stage: 'rcpt', reply: '250 2.1.5 Recipient OK', starttls: true, certificateMatches: false, ptr: {status: 'confirmed', names: ['h25.provider.test']}},
          expect.objectContaining({role: 'source', priority: 20, exchange: 'backup.backup.test', address: REJECT, result: 'bounce', reply: expect.stringMatching(/^554 5\.7\.1 /)}),
          expect.objectContaining({role: 'target', priority: 0, exchange: 'backup-test.mail.protection.outlook.com', address: ACCEPT, result: 'accept', certificateMatches: true, ptr: null}),
        ]),
      )
      expect(found('backupdown.test')).toEqual([['CHECK_INCOMPLETE', 'warning']])
      expect(by('backupdown.test').findings[0].message).toMatch(/MX 20 of backupdown\.test.*ECONNREFUSED.*port 25 is often blocked/)
      expect(found('ptr.test')).toEqual([['MX_PTR_MISMATCH', 'warning']])
      expect(by('ptr.test').findings[0]).toMatchObject({subject: `mx.ptr.test ${PTRBAD} PTR`, message: expect.stringContaining(`has a PTR to elsewhere.provider.test, which does not resolve back to it (elsewhere.provider.test → ${S}.99)`)})
      expect(found('noptr.test')).toEqual([['MX_PTR_MISMATCH', 'warning']])
      expect(by('noptr.test').findings[0].message).toMatch(/has no PTR record .*NXDOMAIN/)
      // The target (Microsoft 365) runs its own reverse DNS: never checked.
      expect(batch.domains.flatMap((r) => r.hosts ?? []).filter((h) => h.role === 'target' && h.ptr !== null)).toEqual([])
    })
  })
})

describe('one domain from the command line', () => {
  test('a clean zone: exit 0, no error finding', async () => {
    const r = await runCli(['audit', 'clean.test', ...common(), '--json'], {env: env()})
    expect(r.code, r.stderr).toBe(0)
    const report = parseJson<AuditReport>(r)
    expect(report).toMatchObject({domain: 'clean.test', target: 'microsoft365', summary: {error: 0}})
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([])
  })

  test('text output groups findings by severity; an error exits 1', async () => {
    const r = await runCli(['audit', 'reject.test', ...common(), '--no-smtp'], {env: env()})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/SMTP probe of the target MX was skipped/)
    const bad = await runCli(['audit', 'twospf.test', ...common()], {env: env()})
    expect(bad.code, bad.stderr).toBe(1)
    expect(bad.stdout).toMatch(/^Errors \(1\)\n {2}SPF_MULTIPLE {2}twospf\.test TXT \(SPF\)\n {6}twospf\.test publishes 2 SPF records/m)
    expect(bad.stdout).toMatch(/1 error, 0 warnings, 0 info: fix the errors before the cutover\./)
  })

  test('the text report shows STARTTLS and the certificate of each target MX', async () => {
    const good = await runCli(['audit', 'clean.test', ...common()], {env: env()})
    expect(good.code, good.stderr).toBe(0)
    expect(good.stdout).toMatch(/target MX 0 clean-test\.mail\.protection\.outlook\.com → .*accepted the recipient .*; STARTTLS TLSv1\.[23], certificate for \*\.mail\.protection\.outlook\.com, smtp\.google\.com, mx\.provider\.test \(trusted\)/)
    const wrong = await runCli(['audit', 'wrongcert.test', ...common()], {env: env()})
    expect(wrong.stdout).toMatch(/certificate for wrong-name\.example\.test \(not for this host, trusted\)/)
    expect(wrong.stdout).toMatch(/^Warnings \(1\)\n {2}SMTP_CERT_MISMATCH {2}wrongcert-test\.mail\.protection\.outlook\.com port \d+/m)
  })

  test('without --to only the domain itself is audited', async () => {
    const r = await runCli(['audit', 'noverify.test', '--resolver', resolver(), '--smtp-port', String(smtpPort), '--json'], {env: env()})
    expect(r.code, r.stderr).toBe(0)
    expect(parseJson<AuditReport>(r)).toMatchObject({target: null, findings: []})
  })

  test('a config: custom provider, its MX, SPF include and verification, resolvers from the file', async () => {
    const write = (name: string, verification: string) => {
      const file = join(configDir, name)
      writeFileSync(
        file,
        [
          'version: 1',
          'domain: custom.test',
          'target:',
          '  profile: custom',
          '  mx: ["10 mx.provider.test"]',
          `  verification: ${verification}`,
          '  spfInclude: spf.provider.test',
          `resolvers: ["${resolver()}"]`,
          '',
        ].join('\n'),
      )
      return file
    }
    const good = await runCli(['audit', '--config', write('good.yaml', 'provider-verification=abc123'), '--smtp-port', String(smtpPort), '--json'], {env: env()})
    expect(good.code, good.stderr).toBe(0)
    expect(parseJson<AuditReport>(good)).toMatchObject({domain: 'custom.test', target: 'custom', targetMx: [{priority: 10, exchange: 'mx.provider.test'}], findings: []})
    const bad = await runCli(['audit', '--config', write('bad.yaml', 'provider-verification=other'), '--smtp-port', String(smtpPort), '--json'], {env: env()})
    expect(bad.code, bad.stderr).toBe(1)
    expect(codes(parseJson<AuditReport>(bad))).toEqual(['TARGET_VERIFICATION_MISSING'])
  })

  test('with --nameserver alone, what needs a resolver is reported as not checked', async () => {
    const r = await runCli(['audit', 'clean.test', '--to', 'microsoft365', '--nameserver', serverLabel(lab.primary), '--nameserver', serverLabel(lab.secondary), '--mta-sts-port', String(httpsPort), '--smtp-port', String(smtpPort), '--json'], {env: env()})
    expect(r.code, r.stderr).toBe(0)
    const report = parseJson<AuditReport>(r)
    // The source host is in the zone (read from its servers) and probed; its PTR is outside it and needs a resolver.
    expect(codes(report)).toEqual(['CHECK_INCOMPLETE', 'CHECK_INCOMPLETE', 'CHECK_INCOMPLETE'])
    expect(report.findings.map((f) => f.subject).sort()).toEqual(['clean-test.mail.protection.outlook.com', `mail.clean.test ${ACCEPT} PTR`, 'spf.protection.outlook.com TXT (SPF)'])
    expect(report.findings[0].message).toMatch(/--resolver/)
  })

  test('google-workspace as the target', async () => {
    const r = await runCli(['audit', 'google.test', '--to', 'google', '--resolver', resolver(), '--smtp-port', String(smtpPort), '--json'], {env: env()})
    const report = parseJson<AuditReport>(r)
    expect(report.targetMx).toEqual([{priority: 1, exchange: 'smtp.google.com'}])
    expect(report.notes?.join(' ')).toMatch(/already points at Google Workspace/)
    expect(codes(report)).toEqual(['DKIM_TARGET_MISSING', 'SPF_TARGET_INCLUDE_MISSING', 'TARGET_VERIFICATION_MISSING'])
  })
})

describe('trouble ends in a finding or one exit-2 line, never a hang or a stack', () => {
  const oneLine = (r: {code: number | null; stderr: string}) => {
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^mxcut: /)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  }

  test('an unreachable resolver', async () => {
    const r = await runCli(['audit', 'clean.test', '--to', 'microsoft365', '--resolver', DEAD, '--timeout', '300'])
    oneLine(r)
    expect(r.stderr).toMatch(/cannot find the zone of clean\.test/)
  })

  test('a resolver answering SERVFAIL', async () => {
    const r = await runCli(['audit', 'clean.test', '--to', 'microsoft365', '--resolver', servfailLabel, '--timeout', '1000'])
    oneLine(r)
    expect(r.stderr).toMatch(/cannot find the zone of clean\.test: .* answered servfail/)
  })

  test('a SERVFAIL resolver listed first is skipped for the next one', async () => {
    const r = await runCli(['audit', 'clean.test', '--resolver', servfailLabel, '--resolver', resolver(), '--mta-sts-port', String(httpsPort), '--smtp-port', String(smtpPort), '--json'], {env: env()})
    expect(r.code, r.stderr).toBe(0)
    expect(parseJson<AuditReport>(r).findings).toEqual([])
  })

  test('a resolver that cannot reach the zone (its server is dead): Unbound times out or SERVFAILs', async () => {
    const r = await runCli(['audit', 'mx.sub.deleg.test', '--resolver', resolver(), '--timeout', '1000'])
    oneLine(r)
    expect(r.stderr).toMatch(/cannot find the zone of mx\.sub\.deleg\.test: .* answered (servfail|timeout)/)
  })

  test('an unreachable authoritative server given with --nameserver', async () => {
    const r = await runCli(['audit', 'clean.test', '--nameserver', DEAD, '--timeout', '300'])
    oneLine(r)
  })

  test('bad input', async () => {
    oneLine(await runCli(['audit', 'bad..domain']))
    oneLine(await runCli(['audit', 'clean.test', '--to', 'yahoo']))
    oneLine(await runCli(['audit', 'clean.test', '--to', 'custom']))
    oneLine(await runCli(['audit']))
    oneLine(await runCli(['audit', '--config', join(tmpdir(), 'no-such-mxcut.yaml')]))
  })

  test('several domains: one that cannot be audited makes exit 2, the others are still reported', async () => {
    const r = await runCli(['audit', 'clean.test', 'nothere.test', ...common(), '--no-smtp', '--json'], {env: env()})
    expect(r.code).toBe(2)
    const out = parseJson<AuditBatchJson>(r)
    expect(out.domains.map((d) => d.domain)).toEqual(['clean.test'])
    expect(out.failed).toEqual([{domain: 'nothere.test', error: expect.stringMatching(/nothere\.test does not exist/)}])
  })
})
