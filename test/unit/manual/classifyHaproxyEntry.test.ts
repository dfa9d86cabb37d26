import {
  classifyHaproxyEntry,
  type EntryVerdict,
  type HaproxyDirEntry,
  type ManualEntryContext,
} from '../../../src/manual';

const HOME = '/var/snap/immich-distribution/common/acme';
const CONTEXT: ManualEntryContext = {
  bundleFiles: new Set(['photos.example.com.pem', 'site.pem']),
  haproxyDirs: [`${HOME}/haproxy`, '/srv/real/acme/haproxy'],
  certificatesDirs: [`${HOME}/certificates`, '/srv/real/acme/certificates'],
};
const MANUAL: EntryVerdict = { manual: true };
const link = (name: string, target: string, extra: Partial<HaproxyDirEntry> = {}): HaproxyDirEntry => ({
  name,
  type: 'symlink',
  linkTarget: target,
  realTarget: target,
  targetType: 'file',
  ...extra,
});

describe('classifyHaproxyEntry()', () => {
  test.each<[string, HaproxyDirEntry, EntryVerdict]>([
    ['a certificate file', { name: 'cert.crt', type: 'file' }, MANUAL],
    ['a .pem that is no stored certificate', { name: 'other.pem', type: 'file' }, MANUAL],
    ['a name without an extension', { name: 'certificate', type: 'file' }, MANUAL],
    ['".key" inside the name, not at its end', { name: 'cert.key.pem', type: 'file' }, MANUAL],
    ['an upper-case ".KEY" (HAProxy compares case-sensitively)', { name: 'cert.KEY', type: 'file' }, MANUAL],
    ['our bundle', { name: 'site.pem', type: 'file' }, { manual: false, reason: 'our bundle' }],
    [
      'a dot file (our temp files)',
      { name: '.site.pem.tmp-0123ab', type: 'file' },
      { manual: false, reason: 'dot file' },
    ],
    ['a companion .key', { name: 'cert.crt.key', type: 'file' }, { manual: false, reason: 'companion file' }],
    ['a companion .ocsp', { name: 'cert.crt.ocsp', type: 'file' }, { manual: false, reason: 'companion file' }],
    ['a companion .issuer', { name: 'cert.crt.issuer', type: 'file' }, { manual: false, reason: 'companion file' }],
    ['a companion .sctl', { name: 'cert.crt.sctl', type: 'file' }, { manual: false, reason: 'companion file' }],
    ['a directory', { name: 'old', type: 'other' }, { manual: false, reason: 'not a regular file' }],
    [
      "lego's link into certificates/",
      link('cert.crt', `${HOME}/certificates/photos.example.com.crt`),
      { manual: false, reason: 'link to lego certificate' },
    ],
    [
      "lego's link, dangling (lego's copy removed)",
      link('cert.crt', `${HOME}/certificates/photos.example.com.crt`, { realTarget: undefined, targetType: 'missing' }),
      { manual: false, reason: 'link to lego certificate' },
    ],
    [
      'a relative-looking link whose real path is in certificates/',
      link('cert.crt', '/srv/elsewhere/cert.crt', { realTarget: '/srv/real/acme/certificates/photos.example.com.crt' }),
      { manual: false, reason: 'link to lego certificate' },
    ],
    [
      'a link to our bundle',
      link('cert.crt', `${HOME}/haproxy/site.pem`),
      { manual: false, reason: 'link to our bundle' },
    ],
    ['a link named like our bundle', link('site.pem', '/etc/ssl/site.pem'), { manual: false, reason: 'our bundle' }],
    ['a link to a file elsewhere', link('cert.crt', '/etc/ssl/private/photos.pem'), MANUAL],
    ['a link to a file beside our bundles', link('cert.crt', `${HOME}/haproxy/manual/cert.crt`), MANUAL],
    [
      'a link to the certificates/ sibling "certificates-old"',
      link('cert.crt', `${HOME}/certificates-old/x.crt`),
      MANUAL,
    ],
    [
      'a link to a directory',
      link('cert.crt', '/etc/ssl', { targetType: 'other' }),
      { manual: false, reason: 'not a regular file' },
    ],
    [
      'a dangling link elsewhere (the reader reports it)',
      link('cert.crt', '/etc/ssl/gone.crt', { realTarget: undefined, targetType: 'missing' }),
      MANUAL,
    ],
  ])('classifyHaproxyEntry() with %s', (_what, entry, expected) => {
    expect(classifyHaproxyEntry(entry, CONTEXT)).toEqual(expected);
  });
});
