import type { Check, Finding } from '../types.js';
import { readSettings, requireSetting } from './settings.js';

/** The server listens beyond this host when listen_addresses names anything but loopback addresses. */
export function listensBeyondLocalhost(listenAddresses: string): boolean {
  return listenAddresses
    .split(',')
    .map((a) => a.trim().toLowerCase())
    .filter(Boolean)
    .some((a) => !['localhost', '::1'].includes(a) && !a.startsWith('127.'));
}

export function listensOnAllInterfaces(listenAddresses: string): boolean {
  return listenAddresses
    .split(',')
    .map((a) => a.trim())
    .some((a) => a === '*' || a === '0.0.0.0' || a === '::');
}

const networkExposure: Check = {
  id: 'security.network_settings',
  targets: ['security'],
  async run(ctx) {
    const names = ['ssl', 'listen_addresses', 'log_connections'];
    const settings = await readSettings(ctx, names);
    const [ssl, listen, logConnections] = names.map((n) => requireSetting(settings, n, ctx.server.current_user));
    const remote = listensBeyondLocalhost(listen.setting);
    const findings: Finding[] = [];

    if (ssl.setting !== 'on') {
      // PGDSAT 6.8 rates TLS being off as critical; that holds when clients connect over the network.
      // A server that listens on loopback only has no network traffic to protect.
      findings.push({
        check: 'security.ssl_off',
        severity: remote ? 'critical' : 'info',
        object: 'ssl',
        title: remote
          ? 'TLS is off on a server that accepts network connections'
          : 'TLS is off (the server listens on localhost only)',
        detail: remote
          ? `ssl = off while listen_addresses = '${listen.setting}': passwords exchanged with cleartext ` +
            'methods and all query results cross the network unencrypted.'
          : `ssl = off; listen_addresses = '${listen.setting}' keeps connections on this host, so nothing ` +
            'crosses a network today. Enable TLS before opening the server to other hosts.',
        recommendation:
          'Install a certificate and key (ssl_cert_file, ssl_key_file), ALTER SYSTEM SET ssl = on; SELECT ' +
          'pg_reload_conf(); then use hostssl rules in pg_hba.conf.',
        evidence: { ssl: ssl.setting, listen_addresses: listen.setting },
      });
    }

    if (listensOnAllInterfaces(listen.setting)) {
      // Info: common and legitimate behind a firewall or in containers; pg_hba.conf is then the only gate.
      findings.push({
        check: 'security.listen_all_interfaces',
        severity: 'info',
        object: 'listen_addresses',
        title: `The server listens on every network interface (listen_addresses = '${listen.setting}')`,
        detail:
          'Any host that can reach the port can attempt to authenticate; access control rests entirely on ' +
          'pg_hba.conf and the network firewall.',
        recommendation:
          "Listen only on the interfaces clients use: ALTER SYSTEM SET listen_addresses = '<address>'; -- " +
          'restart required',
        evidence: { listen_addresses: listen.setting },
      });
    }

    // log_connections is a boolean up to PostgreSQL 17 and a list of aspects from 18 (empty = off).
    if (['off', ''].includes(logConnections.setting.trim().toLowerCase())) {
      // PGDSAT 3.1.20 ("Ensure log_connections is enabled"): warning.
      findings.push({
        check: 'security.log_connections_off',
        severity: 'warning',
        object: 'log_connections',
        title: 'Connection attempts are not logged',
        detail:
          'With log_connections off, PostgreSQL keeps no record of who connected from where, so unexpected or ' +
          'brute-force login attempts go unnoticed and cannot be investigated afterwards.',
        recommendation:
          'ALTER SYSTEM SET log_connections = on; ALTER SYSTEM SET log_disconnections = on; SELECT ' +
          'pg_reload_conf(); -- applies to sessions started afterwards',
        evidence: { value: logConnections.setting, source: logConnections.source },
      });
    }
    return findings;
  },
};

export const networkChecks: Check[] = [networkExposure];
