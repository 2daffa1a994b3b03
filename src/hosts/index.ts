export {createHost, getHostModule, hostModules, hostNames, type HostConfig} from './registry.js'
export {DnsHostError, type DnsHost, type HostDeps, type HostModule, type RecordChange} from './types.js'
