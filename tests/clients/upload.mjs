// Apollo Client 4 with apollo-upload-client's UploadHttpLink against a live accord: an image upload
// as a GraphQL multipart request (the link builds it from the File in the variables), then the
// exhibit's images read back through the same client. Any warning fails the run.
//
//   node tests/clients/upload.mjs HTTP_URL EDITOR_TOKEN IMAGE_FILE EXHIBIT_ID
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { fail, finish } from "./lib/strict-console.mjs";
// docs:begin apollo-upload
import { ApolloClient, InMemoryCache, gql } from "@apollo/client";
import UploadHttpLink from "apollo-upload-client/UploadHttpLink.mjs";
// docs:end apollo-upload

const [httpUrl, token, imagePath, exhibitId] = process.argv.slice(2);
if (!httpUrl || !token || !imagePath || !exhibitId) {
  fail("usage: upload.mjs HTTP_URL EDITOR_TOKEN IMAGE_FILE EXHIBIT_ID");
}

try {
  // In a browser the File comes from an <input type="file">; in Node, from the disk.
  const file = new File([await readFile(imagePath)], basename(imagePath), { type: "image/jpeg" });
  // docs:begin apollo-upload-mutation
  // UploadHttpLink replaces HttpLink: it sends a multipart request when the variables hold a File
  // or Blob, and an ordinary POST otherwise. Uploads need an editor's token.
  const client = new ApolloClient({
    cache: new InMemoryCache(),
    link: new UploadHttpLink({
      uri: httpUrl, // http://127.0.0.1:8000/graphql
      headers: { authorization: `Bearer ${token}` },
    }),
  });
  const UPLOAD = gql`
    mutation UploadImage($file: Upload!, $alt: LocalizedTextInput!, $exhibitId: ID) {
      uploadImage(file: $file, alt: $alt, exhibitId: $exhibitId) {
        id width height url(width: 640) srcset
      }
    }
  `;
  const { data } = await client.mutate({
    mutation: UPLOAD,
    variables: {
      file, // a File (or Blob): from <input type="file">.files[0] in a browser
      alt: { en: "Dress uniform, 1985", zhTw: "禮服，1985 年" },
      exhibitId,
    },
  });
  const image = data.uploadImage; // { id, width, height, url, srcset }
  // docs:end apollo-upload-mutation

  const shown = await client.query({
    query: gql`
      query ($id: ID!) {
        node(id: $id) { id ... on Exhibit { images { id alt(locale: ZH_TW) } } }
      }
    `,
    variables: { id: exhibitId },
  });
  finish({ image, images: shown.data.node.images });
} catch (error) {
  fail(error);
}
