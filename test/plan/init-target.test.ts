import {describe, expect, test} from 'vitest'
import {parseConfigText} from '../../src/plan/config.js'
import {collectAnswers, configYaml, type InitFlags} from '../../src/plan/init.js'

/** init without a terminal: flags answer, defaults apply, nothing the provider assigns is proposed. The terminal flow is driven in test/lab/plan-init.test.ts. */
const noDns = async () => {
  throw new Error('no DNS in this test')
}
const noGraph = async (): Promise<never> => {
  throw new Error('Graph is not read in this test')
}
const answers = (flags: InitFlags) => collectAnswers({domain: 'fabrikam.com', ...flags}, null, noDns, noGraph)

describe('init: the target questions', () => {
  test('Amazon WorkMail: the region fills the documented hosts; DKIM records given as SELECTOR=VALUE are written as copied', async () => {
    const a = await answers({to: 'workmail', region: 'eu-west-1', dkim: ['tok1=tok1.dkim.amazonses.com', 'tok2=tok2.dkim.amazonses.com', 'tok3=tok3.dkim.amazonses.com']})
    expect(a).toMatchObject({profile: 'amazon-workmail', region: 'eu-west-1', mx: [], dkim: [{selector: 'tok1', type: 'CNAME', value: 'tok1.dkim.amazonses.com'}, expect.anything(), expect.anything()]})
    const config = parseConfigText(configYaml(a), 'x.yaml')
    expect(config.target).toMatchObject({profile: 'amazon-workmail', region: 'eu-west-1', dkim: [{selector: 'tok1', type: 'CNAME', value: 'tok1.dkim.amazonses.com'}, expect.anything(), expect.anything()]})
    expect(config.target.mx).toBeUndefined()
  })

  test('Microsoft 365 with the DKIM targets copied: published as given; without them DKIM is left out, said in the file', async () => {
    const given = await answers({to: 'microsoft365', dkim: ['selector1=selector1-fabrikam-com._domainkey.fabrikam.n-v1.dkim.mail.microsoft', 'selector2=selector2-fabrikam-com._domainkey.fabrikam.n-v1.dkim.mail.microsoft']})
    expect(given.dkim).toEqual([
      {selector: 'selector1', type: 'CNAME', value: 'selector1-fabrikam-com._domainkey.fabrikam.n-v1.dkim.mail.microsoft'},
      {selector: 'selector2', type: 'CNAME', value: 'selector2-fabrikam-com._domainkey.fabrikam.n-v1.dkim.mail.microsoft'},
    ])
    const none = await answers({to: 'microsoft365'})
    expect(none.dkim).toBe(false)
    const text = configYaml(none)
    expect(text).toMatch(/ {2}dkim: false +# left out: copy the records from Microsoft Defender portal/)
    expect(text).toMatch(/ {2}# mx: the profile's documented value for fabrikam\.com; the value shown at Microsoft 365 admin center › Settings › Domains › fabrikam\.com › DNS records wins: put it here/)
    expect(text).not.toMatch(/mail\.protection\.outlook\.com|onmicrosoft|dkim\.mail\.microsoft/)
  })

  test('what cannot be defaulted is an error naming its flag', async () => {
    await expect(answers({to: 'workmail'})).rejects.toThrow(/^--region is required when there is no terminal to ask/)
    await expect(answers({to: 'workmail', region: 'Frankfurt'})).rejects.toThrow(/--region 'Frankfurt' is not the AWS Region of the WorkMail organization/)
    await expect(answers({to: 'custom'})).rejects.toThrow(/^--mx is required when there is no terminal to ask/)
    await expect(answers({to: 'godaddy'})).rejects.toThrow(/^--mx is required when there is no terminal to ask/)
    await expect(answers({to: 'microsoft365', dkim: ['selector1']})).rejects.toThrow(/--dkim 'selector1' must be SELECTOR=VALUE/)
    await expect(answers({to: 'microsoft365', 'graph-token': 'eyJhbGciOi'})).rejects.toThrow(/--graph-token must be a reference/)
  })
})
