import { classifyCertificateFile, isLegoServerFolderOf, legoFileBase, serverOfUrl } from '../../../src/migration';

describe('lego file names', () => {
  test.each([
    ['example.com.crt', { base: 'example.com', role: 'crt' }],
    ['example.com.issuer.crt', { base: 'example.com', role: 'issuer' }],
    ['_.example.com.key', { base: '_.example.com', role: 'key' }],
    ['example.com.json', { base: 'example.com', role: 'json' }],
    ['example.com.pem', { base: 'example.com', role: undefined }],
    ['example.com.pfx', { base: 'example.com', role: undefined }],
    ['.crt', undefined],
    ['.issuer.crt', { base: '.issuer', role: 'crt' }],
    ['README', undefined],
    ['example.com.crt.bak', undefined],
  ])('classifyCertificateFile(%j) is %j', (name, expected) => {
    expect(classifyCertificateFile(name)).toEqual(expected);
  });

  test.each([
    ['*.example.com', '_.example.com'],
    ['example.com', 'example.com'],
    ['*.*.x', '_._.x'],
  ])('legoFileBase(%j) is %j, like lego sanitizedDomain', (domain, base) => {
    expect(legoFileBase(domain)).toBe(base);
  });

  test.each([
    ['https://acme-v02.api.letsencrypt.org/directory', 'acme-v02.api.letsencrypt.org:443'],
    ['https://ACME.example:8443/dir', 'acme.example:8443'],
    ['http://localhost/dir', 'localhost:80'],
    ['https://[::1]:14000/dir', '[::1]:14000'],
    ['file:///etc/passwd', undefined],
    ['not a url', undefined],
    ['', undefined],
  ])('serverOfUrl(%j) is %j', (url, expected) => {
    expect(serverOfUrl(url)).toBe(expected);
  });

  test.each([
    ['acme-v02.api.letsencrypt.org', 'https://acme-v02.api.letsencrypt.org/directory', true],
    ['acme-v02.api.letsencrypt.org_443', 'https://acme-v02.api.letsencrypt.org/directory', true],
    ['acme-staging-v02.api.letsencrypt.org', 'https://acme-v02.api.letsencrypt.org/directory', false],
    ['127.0.0.1_14000', 'https://127.0.0.1:14000/dir', true],
    ['127.0.0.1_14000', 'https://127.0.0.1:15000/dir', false],
    ['127.0.0.1', 'https://127.0.0.1:14000/dir', false],
    ['[__1]_14000', 'https://[::1]:14000/dir', true],
    ['ACME-V02.api.letsencrypt.org', 'https://acme-v02.api.letsencrypt.org/directory', true],
    ['acme-v02.api.letsencrypt.org_', 'https://acme-v02.api.letsencrypt.org/directory', false],
    ['..', 'https://acme-v02.api.letsencrypt.org/directory', false],
    ['acme-v02.api.letsencrypt.org', 'not a url', false],
  ])('isLegoServerFolderOf(%j, %j) is %j', (folder, directoryUrl, expected) => {
    expect(isLegoServerFolderOf(folder, directoryUrl)).toBe(expected);
  });
});
