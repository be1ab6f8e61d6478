import { Writable } from 'node:stream';
import pino from 'pino';
import { loggerParams, redactSecretsInText, redactUrl } from './logging';

describe(redactSecretsInText.name, () => {
  it('should keep the path and harmless parameters and redact values named like secrets', () => {
    expect(redactUrl('/api/sync/runs?access_token=abc123&limit=5')).toBe(
      '/api/sync/runs?access_token=[redacted]&limit=5',
    );
    expect(
      redactUrl(
        'https://api.tripleseat.com/v1/events/1.json?show_financial=true&api_key=k&client_secret=s&X-Signature=v&password=p&sig=q&apikey=z',
      ),
    ).toBe(
      'https://api.tripleseat.com/v1/events/1.json?show_financial=true&api_key=[redacted]&client_secret=[redacted]&X-Signature=[redacted]&password=[redacted]&sig=[redacted]&apikey=[redacted]',
    );
    expect(redactUrl('/webhooks/tripleseat')).toBe('/webhooks/tripleseat');
    expect(redactUrl('/api/sync/tripleseat?event_id=55521609')).toBe(
      '/api/sync/tripleseat?event_id=55521609',
    );
  });

  it('should redact a URL inside a message or a serialised JSON line without breaking the JSON', () => {
    const line = JSON.stringify({
      msg: 'GET https://x.test/a?token=t0k3n&page=2 failed',
      url: '/b?refresh_token=r3fr3sh',
    });
    const redacted = redactSecretsInText(line);
    expect(redacted).not.toContain('t0k3n');
    expect(redacted).not.toContain('r3fr3sh');
    expect(JSON.parse(redacted)).toEqual({
      msg: 'GET https://x.test/a?token=[redacted]&page=2 failed',
      url: '/b?refresh_token=[redacted]',
    });
  });
});

describe(loggerParams.name, () => {
  it('should keep secret query values out of every line: messages, fields and errors', () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const params = loggerParams('info', stream).pinoHttp as [pino.LoggerOptions, Writable];
    const logger = pino(params[0], params[1]);
    logger.info({ upstream: 'https://u.test/x?access_token=SECRET1' }, 'calling');
    logger.error({ err: new Error('GET /y?api_key=SECRET2 answered 500') }, 'failed');
    logger.warn({ err: 'POST /z?signature=SECRET3 refused' }, 'refused /q?password=SECRET4');
    const all = lines.join('');
    for (const secret of ['SECRET1', 'SECRET2', 'SECRET3', 'SECRET4']) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain('/y?api_key=[redacted]');
    expect(lines).toHaveLength(3);
  });
});
