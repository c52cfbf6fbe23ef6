export const name = '@tunnel/proto-imap';
