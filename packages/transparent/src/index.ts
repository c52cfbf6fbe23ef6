export const name = '@tunnel/transparent';
