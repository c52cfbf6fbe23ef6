export const name = '@tunnel/proto-cifs';
