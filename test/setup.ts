// Nothing in the test suite may reach beyond loopback (DEVELOPERS.md): every
// DNS, SMTP and HTTPS connection to another address fails at once.
process.env.MXCUT_LOOPBACK_ONLY = '1'
